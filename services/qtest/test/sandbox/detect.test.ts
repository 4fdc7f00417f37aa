import { DEFAULT_LIMITS, extractRusage, inferStop } from '../../src/sandbox/index.js';

const limits = { ...DEFAULT_LIMITS, cpuSeconds: 2 };

test('GNU time lines are parsed and stripped from stderr', () => {
  const raw = 'boom\nCommand terminated by signal 24\n\n@@ql-rusage abc 1.50 1.20 0.30 4096 0\n';
  const { stderr, rusage } = extractRusage(raw, 'abc');
  expect(stderr).toBe('boom\n');
  expect(rusage).toEqual({
    elapsedS: 1.5,
    userS: 1.2,
    systemS: 0.3,
    maxRssKb: 4096,
    exitStatus: 0,
    termSignal: 24,
  });
});

test('a marker with another nonce is left alone', () => {
  const raw = 'x\n@@ql-rusage fake 0 0 0 0 0\n';
  expect(extractRusage(raw, 'real')).toEqual({ stderr: raw, rusage: null });
});

test.each([
  [{ signal: 'SIGXCPU', exitCode: null, stderr: '' }, 'cpu-time'],
  [{ signal: 'SIGXFSZ', exitCode: null, stderr: '' }, 'file-size'],
  [{ signal: 'SIGKILL', exitCode: null, stderr: '', cpuMs: 2990 }, 'cpu-time'],
  [{ signal: null, exitCode: 1, stderr: 'RangeError: Array buffer allocation failed' }, 'memory'],
  [
    { signal: 'SIGTRAP', exitCode: null, stderr: 'FATAL ERROR: JavaScript heap out of memory' },
    'memory',
  ],
  [{ signal: null, exitCode: 2, stderr: 'sh: 1: Cannot fork' }, 'processes'],
  [{ signal: null, exitCode: 3, stderr: 'Error: spawn sleep EAGAIN' }, 'processes'],
  [
    { signal: null, exitCode: 1, stderr: "Error: EMFILE: too many open files, open 'x'" },
    'open-files',
  ],
  [{ signal: null, exitCode: 1, stderr: 'Error: EFBIG: file too large, write' }, 'file-size'],
  [{ signal: null, exitCode: 0, stderr: 'Cannot fork (just a message)' }, undefined],
  [{ signal: null, exitCode: 1, stderr: 'plain failure' }, undefined],
])('%j is reported as %s', (input, expected) => {
  expect(inferStop({ cpuMs: 0, limits, ...input }).stoppedBy).toBe(expected);
});

test('the runner’s own stops win, and wall time names the limit seen before it', () => {
  const base = { signal: 'SIGKILL', exitCode: null, cpuMs: 0, limits };
  expect(inferStop({ ...base, stderr: '', runnerStop: 'aborted' }).stoppedBy).toBe('aborted');
  expect(inferStop({ ...base, stderr: '', runnerStop: 'output' }).stoppedBy).toBe('output');
  expect(inferStop({ ...base, stderr: '', runnerStop: 'wall-time' }).stoppedBy).toBe('wall-time');
  const forkThenWall = inferStop({
    ...base,
    stderr: 'sh: 1: Cannot fork',
    runnerStop: 'wall-time',
  });
  expect(forkThenWall.stoppedBy).toBe('processes');
  expect(forkThenWall.reason).toContain('wall-time');
});
