import { isPlaceholder, isSecretName, isTokenName, words } from './ast.js';

describe('name heuristics', () => {
  it('splits identifiers into words', () => {
    expect(words('jwtSecretKey')).toEqual(['jwt', 'secret', 'key']);
    expect(words('JWT_SECRET')).toEqual(['jwt', 'secret']);
    expect(words('APIKey')).toEqual(['api', 'key']);
  });

  it.each([
    ['password', true],
    ['dbPassword', true],
    ['JWT_SECRET', true],
    ['apiKey', true],
    ['client_secret', true],
    ['privateKey', true],
    ['accessToken', true],
    ['tokenExpiry', false],
    ['passwordMinLength', false],
    ['secretName', false],
    ['key', false],
    ['cacheKey', false],
  ])('isSecretName(%s) = %s', (name, expected) => {
    expect(isSecretName(name)).toBe(expected);
  });

  it.each([
    ['resetToken', true],
    ['sessionId', true],
    ['verificationCode', true],
    ['salt', true],
    ['colorCode', false],
    ['jitterMs', false],
    ['userId', false],
  ])('isTokenName(%s) = %s', (name, expected) => {
    expect(isTokenName(name)).toBe(expected);
  });

  it.each([
    ['changeme', true],
    ['your-api-key-here', true],
    ['<token>', true],
    ['${JWT_SECRET}', true],
    ['xxxxxxxxxxxx', true],
    ['s3cr3t-Pa55w0rd', false],
  ])('isPlaceholder(%s) = %s', (value, expected) => {
    expect(isPlaceholder(value)).toBe(expected);
  });
});
