import net from 'node:net';
import {
  connectNatsBus,
  domainStream,
  type DeliveredEvent,
  type NatsEventBus,
} from '../../src/bus/index.js';
import { TEST_NATS_URL, uniqueName } from '../support/env.js';
import { consumerSpec, sleep, thing, waitFor } from './helpers.js';

/** A TCP hop between the bus and NATS whose connections the test can cut, as a network blip would. */
class Blip {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  constructor(private readonly target: URL) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 4222), target.hostname);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', close);
        s.on('close', close);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  listen(): Promise<string> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        resolve(`nats://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`);
      }),
    );
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('NATS bus across a connection loss', () => {
  const namespace = uniqueName('t');
  const blip = new Blip(new URL(TEST_NATS_URL));
  let direct: NatsEventBus;
  let proxied: NatsEventBus;

  beforeAll(async () => {
    direct = await connectNatsBus({ servers: TEST_NATS_URL, namespace });
    await direct.ensureStreams([domainStream('bustest', { maxAgeMs: 3_600_000 })]);
    proxied = await connectNatsBus({
      servers: await blip.listen(),
      namespace,
      publishTimeoutMs: 5_000,
    });
  });

  afterAll(async () => {
    await proxied.close();
    await blip.close();
    await direct.deleteStreams(['QL_BUSTEST']);
    await direct.close();
  });

  it('keeps consuming and publishing after the connection comes back', async () => {
    const seen = new Set<string>();
    const sub = await proxied.subscribe(
      consumerSpec('reconnect', { maxInFlight: 8, ackWaitMs: 2_000 }),
      async (e: DeliveredEvent) => {
        await sleep(5);
        seen.add(e.id);
      },
    );
    const first = Array.from({ length: 40 }, (_, i) => thing('reconnect', i));
    await direct.publish(first);
    await waitFor('some deliveries', () => seen.size >= 10);

    blip.cut();
    const second = Array.from({ length: 40 }, (_, i) => thing('reconnect', 100 + i));
    await direct.publish(second);
    // Through the broken connection a publish is either confirmed after the reconnect or fails
    // fast (its PubAck can no longer come); retrying the same event is safe either way.
    const third = thing('reconnect', 1000);
    const started = Date.now();
    for (;;) {
      try {
        await proxied.publish(third);
        break;
      } catch (err) {
        expect(String(err)).toMatch(/connection lost|not connected|PubAck/);
        await sleep(100);
      }
    }
    expect(Date.now() - started).toBeLessThan(5_000);

    await waitFor('every event after reconnecting', () => seen.size === 81, 30_000);
    await expect(proxied.ready()).resolves.toBeUndefined();
    await sub.stop();
    await waitFor('acks settled', async () => {
      const s = await direct.consumerState('QL_BUSTEST', 'bustest-reconnect');
      return s.numPending === 0 && s.numAckPending === 0;
    });
  });
});
