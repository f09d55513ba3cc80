import type { BuildOptions } from 'esbuild';

export declare const preloadBuildOptions: BuildOptions;
/** The contract's plain-data exports as the source of a module with no imports. */
export declare function contractProjection(): Promise<string>;
