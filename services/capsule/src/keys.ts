// Where the signing key comes from: the environment, a file, or (embedded mode, nothing
// configured) a key created once under QL_DATA_DIR and kept there.
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Logger } from '@quantumlayer/kit';
import type { CapsuleEnv } from './config.js';
import {
  ed25519Signer,
  generateSigningKey,
  publicKeyVerifier,
  type Signer,
  type Verifier,
} from './domain/index.js';

export interface SigningKeys {
  signer: Signer;
  publicKeyPem: string;
  /** The service's own key first, then the configured trusted keys. */
  trusted: Verifier[];
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
}

export async function loadSigningKeys(config: CapsuleEnv, logger: Logger): Promise<SigningKeys> {
  let pem = config.QL_CAPSULE_SIGNING_KEY;
  let variable = 'QL_CAPSULE_SIGNING_KEY';
  if (!pem && config.QL_CAPSULE_SIGNING_KEY_FILE) {
    variable = 'QL_CAPSULE_SIGNING_KEY_FILE';
    try {
      pem = await readFile(config.QL_CAPSULE_SIGNING_KEY_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError([
        {
          variable,
          message: `cannot read the key file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        },
      ]);
    }
  }
  if (!pem) {
    const file = path.join(config.QL_DATA_DIR, 'capsule', 'signing-key.pem');
    variable = 'QL_CAPSULE_SIGNING_KEY_FILE';
    if (existsSync(file)) {
      pem = await readFile(file, 'utf8');
    } else {
      const key = generateSigningKey();
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, key.privateKeyPem, { mode: 0o600, flag: 'wx' }).catch(
        async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err; // another process made it first: use theirs
        },
      );
      pem = await readFile(file, 'utf8');
      logger.warn(
        { file, keyId: key.keyId },
        'no signing key configured: created one (set QL_CAPSULE_SIGNING_KEY_FILE in a deployment)',
      );
    }
  }
  let signer: Signer;
  let publicKeyPem: string;
  try {
    signer = ed25519Signer(pem);
    publicKeyPem = createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString();
  } catch (err) {
    throw new ConfigError([
      {
        variable,
        message: `expected an Ed25519 private key in PKCS#8 PEM (${err instanceof Error ? err.message : String(err)})`,
      },
    ]);
  }
  const trusted: Verifier[] = [publicKeyVerifier(publicKeyPem)];
  if (config.QL_CAPSULE_TRUSTED_KEYS_FILE) {
    let text: string;
    try {
      text = await readFile(config.QL_CAPSULE_TRUSTED_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError([
        {
          variable: 'QL_CAPSULE_TRUSTED_KEYS_FILE',
          message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        },
      ]);
    }
    for (const key of splitPems(text)) {
      try {
        trusted.push(publicKeyVerifier(key));
      } catch (err) {
        throw new ConfigError([
          {
            variable: 'QL_CAPSULE_TRUSTED_KEYS_FILE',
            message: `holds a key that is not Ed25519 (${String(err)})`,
          },
        ]);
      }
    }
  }
  return { signer, publicKeyPem, trusted };
}
