// Starts the cloud emulators side by side on consecutive ports (openai, azure; bedrock and vertex will follow).
import { AzureOpenAIEmulator } from './azure-openai-emulator.ts';
import type { AzureOpenAIEmulatorOptions } from './azure-openai-emulator.ts';
import type { EmulatorServer } from './emulator-server.ts';
import { OpenAIEmulator } from './openai-emulator.ts';
import type { OpenAIEmulatorOptions } from './openai-emulator.ts';

/** Clouds that have an emulator, in port order: basePort + index. */
export const EMULATED_CLOUDS = ['openai', 'azure'] as const;
/** Name of a cloud that has an emulator. */
export type EmulatedCloud = (typeof EMULATED_CLOUDS)[number];

/** Default base port: openai on 4010, azure on 4011. */
export const DEFAULT_EMULATOR_BASE_PORT = 4010;

/** Options of startEmulators; per-cloud options go to that cloud's emulator. */
export interface StartEmulatorsOptions {
  host?: string;
  /** openai listens on basePort, azure on basePort + 1; 0 gives each a free port. Default 4010. */
  basePort?: number;
  /** Start only these clouds. */
  only?: readonly EmulatedCloud[];
  openai?: OpenAIEmulatorOptions;
  azure?: AzureOpenAIEmulatorOptions;
}

/** The started emulators and a close() for all of them. */
export interface RunningEmulators {
  /** The started emulators by cloud name. */
  emulators: Partial<Record<EmulatedCloud, EmulatorServer>> & Record<string, EmulatorServer>;
  close(): Promise<void>;
}

/** Starts the emulators; if one fails to start, the ones already started are closed again. */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const host = options.host ?? '127.0.0.1';
  const basePort = options.basePort ?? DEFAULT_EMULATOR_BASE_PORT;
  const emulators: Record<string, EmulatorServer> = {};
  const close = async () => {
    await Promise.all(Object.values(emulators).map((emulator) => emulator.close()));
  };
  try {
    for (const [offset, cloud] of EMULATED_CLOUDS.entries()) {
      if (options.only !== undefined && !options.only.includes(cloud)) continue;
      const emulator = cloud === 'openai' ? new OpenAIEmulator(options.openai) : new AzureOpenAIEmulator(options.azure);
      await emulator.start(basePort === 0 ? 0 : basePort + offset, host);
      emulators[cloud] = emulator;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { emulators, close };
}
