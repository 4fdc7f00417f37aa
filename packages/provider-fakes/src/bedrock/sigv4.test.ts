import {
  canonicalPath,
  canonicalQuery,
  expectedSignature,
  parseAmzDate,
  parseAuthorization,
  signRequest,
  signaturesMatch,
} from './sigv4.js';

describe('SigV4 verification', () => {
  // The worked example of the Signature Version 4 documentation (IAM ListUsers).
  const example =
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';

  it('reproduces the documented example signature', () => {
    const auth = parseAuthorization(example);
    expect(auth).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      date: '20150830',
      region: 'us-east-1',
      service: 'iam',
      signedHeaders: ['content-type', 'host', 'x-amz-date'],
      signature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    });
    const sig = expectedSignature(
      {
        method: 'GET',
        path: '/',
        query: 'Action=ListUsers&Version=2010-05-08',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          host: 'iam.amazonaws.com',
          'x-amz-date': '20150830T123600Z',
        },
        body: Buffer.alloc(0),
      },
      auth!,
      'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    );
    expect(sig).toBe(auth!.signature);
  });

  it('rejects malformed headers', () => {
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(parseAuthorization('Bearer abc')).toBeUndefined();
    expect(
      parseAuthorization('AWS4-HMAC-SHA256 Credential=AK/2015/us-east-1/bedrock/aws4_request'),
    ).toBeUndefined();
    expect(parseAuthorization(example.replace('aws4_request', 'aws5_request'))).toBeUndefined();
  });

  it('double-encodes the path as non-S3 services do, and sorts the query', () => {
    expect(canonicalPath('/model/anthropic.claude-v2%3A1/converse')).toBe(
      '/model/anthropic.claude-v2%253A1/converse',
    );
    expect(canonicalPath('/a/./b/../c/')).toBe('/a/c/');
    expect(canonicalQuery('b=2&a=x y&a=1')).toBe('a=1&a=x%20y&b=2');
  });

  it('verifies what signRequest produced, and spots tampering', () => {
    const creds = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' };
    const body = Buffer.from('{"messages":[]}');
    const headers = signRequest(
      { method: 'POST', path: '/model/m%3A0/converse', query: '', headers: { host: 'h:1' }, body },
      creds,
      'us-east-1',
      'bedrock',
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(headers['x-amz-date']).toBe('20260102T030405Z');
    expect(parseAmzDate(headers['x-amz-date'])).toBe(Date.parse('2026-01-02T03:04:05Z'));
    const auth = parseAuthorization(headers.authorization)!;
    const check = (b: Buffer) =>
      signaturesMatch(
        expectedSignature(
          { method: 'POST', path: '/model/m%3A0/converse', query: '', headers, body: b },
          auth,
          'secret',
        )!,
        auth.signature,
      );
    expect(check(body)).toBe(true);
    expect(check(Buffer.from('{"messages":[1]}'))).toBe(false);
  });
});
