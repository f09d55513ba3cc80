import type { BuildOptions } from 'esbuild';

export declare const preloadBuildOptions: BuildOptions;
