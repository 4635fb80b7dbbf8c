export * from './crossway-error.ts';
export * from './chat-completion.ts';
export * from './embedding.ts';
export * from './excerpt.ts';
export * from './model.ts';
export * from './parse-request.ts';
export * from './responses.ts';
export * from './response-objects.ts';
