/** Thrown when bubblewrap (or a helper the sandbox needs) is missing or cannot create namespaces. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  constructor(reason: string) {
    super(
      `sandbox unavailable: ${reason}. Install bubblewrap (Debian: apt-get install -y bubblewrap) ` +
        'and allow unprivileged user namespaces, or run the service as root.',
    );
  }
}
