// Starts the cloud emulators side by side on consecutive ports (openai, azure, bedrock, vertex).
import { AzureOpenAIEmulator } from './azure-openai-emulator.ts';
import type { AzureOpenAIEmulatorOptions } from './azure-openai-emulator.ts';
import { BedrockEmulator } from './bedrock-emulator.ts';
import type { BedrockEmulatorOptions } from './bedrock-emulator.ts';
import type { EmulatorServer } from './emulator-server.ts';
import { OpenAIEmulator } from './openai-emulator.ts';
import type { OpenAIEmulatorOptions } from './openai-emulator.ts';
import { VertexEmulator } from './vertex-emulator.ts';
import type { VertexEmulatorOptions } from './vertex-emulator.ts';

/** Clouds that have an emulator, in port order: basePort + index. */
export const EMULATED_CLOUDS = ['openai', 'azure', 'bedrock', 'vertex'] as const;
/** Name of a cloud that has an emulator. */
export type EmulatedCloud = (typeof EMULATED_CLOUDS)[number];

/** Default base port: openai on 4010, azure on 4011, bedrock on 4012, vertex on 4013. */
export const DEFAULT_EMULATOR_BASE_PORT = 4010;

/** Options of startEmulators; per-cloud options go to that cloud's emulator. */
export interface StartEmulatorsOptions {
  host?: string;
  /** openai listens on basePort, azure on basePort + 1, bedrock on basePort + 2, vertex on basePort + 3; 0 gives each a free port. Default 4010. */
  basePort?: number;
  /** Start only these clouds. */
  only?: readonly EmulatedCloud[];
  openai?: OpenAIEmulatorOptions;
  azure?: AzureOpenAIEmulatorOptions;
  bedrock?: BedrockEmulatorOptions;
  vertex?: VertexEmulatorOptions;
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
      const emulator = createEmulator(cloud, options);
      await emulator.start(basePort === 0 ? 0 : basePort + offset, host);
      emulators[cloud] = emulator;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { emulators, close };
}

function createEmulator(cloud: EmulatedCloud, options: StartEmulatorsOptions): EmulatorServer {
  switch (cloud) {
    case 'openai':
      return new OpenAIEmulator(options.openai);
    case 'azure':
      return new AzureOpenAIEmulator(options.azure);
    case 'bedrock':
      return new BedrockEmulator(options.bedrock);
    case 'vertex':
      return new VertexEmulator(options.vertex);
  }
}
