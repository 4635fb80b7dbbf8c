export * from './convert-chat-completion-to-message.ts';
export * from './convert-chat-usage-to-messages-usage.ts';
export * from './convert-messages-to-chat-request.ts';
export * from './create-messages-stream-translator.ts';
export * from './map-finish-reason-to-stop-reason.ts';
export * from './sign-thinking.ts';
