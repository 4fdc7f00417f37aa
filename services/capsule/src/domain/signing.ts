// Signing of capsule.json. Ed25519 keys from node:crypto today; the Signer and Verifier
// interfaces are what buildCapsule and verifyCapsule use, so Sigstore (keyless, Fulcio + Rekor)
// or a KMS key can be added as another implementation without touching the format code.
import type { KeyObject } from 'node:crypto';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';

export type SignatureAlgorithm = 'ed25519';

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** First 16 hex digits of the sha256 of the raw public key. */
  readonly keyId: string;
  /** Detached signature over exactly `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface Verifier {
  readonly algorithm: SignatureAlgorithm;
  readonly keyId: string;
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/** keyId of an Ed25519 public key: first 16 hex of sha256(raw 32-byte key). */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new SigningKeyError('not an Ed25519 public key');
  }
  const raw = Buffer.from(jwk.x, 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(
      `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; capsules are signed with ed25519`,
    );
  }
  return key;
}

/** A Signer from a PKCS#8 PEM Ed25519 private key. */
export function ed25519Signer(privateKeyPem: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (err) {
    throw new SigningKeyError(`cannot read the private key PEM: ${(err as Error).message}`);
  }
  requireEd25519(privateKey, 'the private key');
  const keyId = keyIdOf(createPublicKey(privateKey));
  return {
    algorithm: 'ed25519',
    keyId,
    async sign(data) {
      return new Uint8Array(cryptoSign(null, data, privateKey));
    },
  };
}

/** A Verifier from an SPKI PEM Ed25519 public key. */
export function publicKeyVerifier(publicKeyPem: string): Verifier {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (err) {
    throw new SigningKeyError(`cannot read the public key PEM: ${(err as Error).message}`);
  }
  requireEd25519(publicKey, 'the public key');
  const keyId = keyIdOf(publicKey);
  return {
    algorithm: 'ed25519',
    keyId,
    async verify(data, signature) {
      if (signature.byteLength !== 64) return false;
      return cryptoVerify(null, data, publicKey, signature);
    },
  };
}

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public) with its keyId. */
export function generateSigningKey(): {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
