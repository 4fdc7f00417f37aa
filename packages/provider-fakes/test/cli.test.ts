import { spawn } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';

const root = join(__dirname, '..', '..', '..');
const cli = join(__dirname, '..', 'src', 'cli.ts');

function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<{ url: string; port: number }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { url: string; port: number });
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`cli exited ${code}: ${err}`)));
  });
  return { child, ready };
}

describe('cli', () => {
  it('starts a fake, serves it, and stops on SIGTERM', async () => {
    const { child, ready } = startCli(['openai', '--port', '0', '--ttft-ms', '5']);
    try {
      const { url, port } = await ready;
      expect(port).toBeGreaterThan(0);
      const client = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 });
      const res = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'from the cli' }],
      });
      expect(res.choices[0]?.message.content).toBe('echo: from the cli');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses an unknown family with usage', async () => {
    const { ready } = startCli(['mystery']);
    await expect(ready).rejects.toThrow(/exited 2: usage/);
  });
});
