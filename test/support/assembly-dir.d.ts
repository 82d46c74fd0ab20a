/** The environment variable naming the run's shared cloud assembly directory. */
export declare const SHARED_ASSEMBLY_ENV: string;
export default function makeSharedAssemblyDir(): void;
