import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  ed25519Signer,
  generateSigningKey,
  publicKeyVerifier,
  SigningKeyError,
} from './signing.js';

describe('ed25519 signing', () => {
  it('signs and verifies; keyId is the first 16 hex of sha256(raw public key)', async () => {
    const key = generateSigningKey();
    const signer = ed25519Signer(key.privateKeyPem);
    const verifier = publicKeyVerifier(key.publicKeyPem);
    // The raw key is the last 32 bytes of the SPKI DER encoding.
    const raw = createPublicKey(key.publicKeyPem)
      .export({ format: 'der', type: 'spki' })
      .subarray(-32);
    expect(key.keyId).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 16));
    expect(signer.keyId).toBe(key.keyId);
    expect(verifier.keyId).toBe(key.keyId);

    const data = Buffer.from('{"formatVersion":1}\n');
    const signature = await signer.sign(data);
    expect(signature.byteLength).toBe(64);
    expect(await verifier.verify(data, signature)).toBe(true);
    expect(await verifier.verify(Buffer.from('{"formatVersion":2}\n'), signature)).toBe(false);
    expect(await verifier.verify(data, signature.subarray(1))).toBe(false);
    const other = publicKeyVerifier(generateSigningKey().publicKeyPem);
    expect(await other.verify(data, signature)).toBe(false);
  });

  it('refuses keys that are not Ed25519 PEMs', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      ed25519Signer(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
    ).toThrow(/rsa key; capsules are signed with ed25519/);
    expect(() => publicKeyVerifier('not a pem')).toThrow(SigningKeyError);
  });
});
