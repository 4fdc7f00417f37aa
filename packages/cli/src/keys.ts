// The local signing key of embedded generations: created once, kept in the user's config
// directory, so capsules made on this machine verify on it (and anywhere the public key is given).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKey } from '@quantumlayer/capsule';

export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || path.join(env['HOME'] || os.homedir(), '.config');
  return path.join(base, 'quantumlayer');
}

export interface LocalKey {
  privateKeyFile: string;
  publicKeyPem: string;
}

/** The local key (created on first use, mode 0600). */
export async function localSigningKey(env: NodeJS.ProcessEnv): Promise<LocalKey> {
  const file = path.join(configDir(env), 'signing-key.pem');
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const key = generateSigningKey();
    await writeFile(file, key.privateKeyPem, { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  const pem = await readFile(file, 'utf8');
  return {
    privateKeyFile: file,
    publicKeyPem: createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString(),
  };
}
