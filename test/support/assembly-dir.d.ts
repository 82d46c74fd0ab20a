/** The environment variable naming the run's shared cloud assembly directory. */
export declare const SHARED_ASSEMBLY_ENV: string;
/** Set when jest's global setup made that directory (and its teardown removes it). */
export declare const SHARED_ASSEMBLY_OWNED_ENV: string;
export default function makeSharedAssemblyDir(): void;
