// Types of build-ui.js, for the tests that import it.
export declare function readUiStamp(root?: string): { files: number; sha256: string };
export declare function isUiFresh(root?: string): boolean;
export declare function buildUi(root?: string): Promise<'built' | 'no-esbuild' | 'no-sources'>;
