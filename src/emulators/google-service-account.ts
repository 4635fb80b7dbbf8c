// Service-account key files for the local Google OAuth token endpoint: a fresh RSA key pair in the JSON layout Google
// issues, so that google-auth-library's own service-account path (sign an RS256 JWT, exchange it) runs against it.
// Source: Google Cloud IAM "Create and delete service account keys" (the key file's fields: type, project_id,
// private_key_id, private_key as PKCS#8 PEM, client_email, client_id, auth_uri, token_uri, auth_provider_x509_cert_url,
// client_x509_cert_url, universe_domain).
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';

/** The project the emulated service account belongs to unless told otherwise. */
export const GOOGLE_EMULATOR_PROJECT = 'crossway-demo';

/** A service-account key file's content (the JSON Google hands out). */
export interface GoogleServiceAccountCredentials {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

/** A key file plus the public half of its key, which the token endpoint verifies assertions with. */
export interface EmulatorServiceAccount {
  credentials: GoogleServiceAccountCredentials;
  publicKeyPem: string;
}

/** Options of createEmulatorServiceAccount. */
export interface EmulatorServiceAccountOptions {
  /** Default GOOGLE_EMULATOR_PROJECT. */
  projectId?: string;
  /** The account name before `@`; default `crossway-gateway`. */
  accountName?: string;
}

/**
 * A new service account whose `token_uri` is `tokenUri` (the emulator's `/token`), with a generated 2048-bit RSA key.
 * Register `publicKeyPem` with the emulator (VertexEmulator.registerServiceAccount) before the key is used.
 */
export function createEmulatorServiceAccount(tokenUri: string, options: EmulatorServiceAccountOptions = {}): EmulatorServiceAccount {
  const projectId = options.projectId ?? GOOGLE_EMULATOR_PROJECT;
  const clientEmail = `${options.accountName ?? 'crossway-gateway'}@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    credentials: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: clientEmail,
      client_id: String(randomInt(1e11, 2 ** 47)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    },
    publicKeyPem: publicKey,
  };
}
