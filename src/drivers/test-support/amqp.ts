/**
 * A minimal AMQP 0-9-1 client for the RabbitMQ driver's tests (no AMQP package is installed):
 * PLAIN login into a vhost, one channel, queue.declare, basic.publish on the default exchange,
 * basic.get. Enough to prove by trying who may use which vhost, and that a revoked user's open
 * connection is closed by the server.
 */
import { connect, type Socket } from 'node:net';

interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

const shortstr = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length]), b]);
};
const longstr = (s: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(s.length);
  return Buffer.concat([len, s]);
};
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const emptyTable = u32(0);

function frame(type: number, channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(channel), u32(payload.length), payload, Buffer.from([0xce])]);
}
const method = (channel: number, classId: number, methodId: number, args: Buffer): Buffer => frame(1, channel, Buffer.concat([u16(classId), u16(methodId), args]));

export class AmqpClosed extends Error {
  constructor(
    readonly replyCode: number,
    readonly replyText: string,
  ) {
    super(`AMQP closed: ${replyCode} ${replyText}`);
  }
}

export class AmqpConnection {
  private buffer = Buffer.alloc(0);
  private frames: Frame[] = [];
  private waiter: (() => void) | null = null;
  private closedBy: AmqpClosed | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      while (this.buffer.length >= 8) {
        const size = this.buffer.readUInt32BE(3);
        if (this.buffer.length < size + 8) break;
        const f = { type: this.buffer[0] ?? 0, channel: this.buffer.readUInt16BE(1), payload: this.buffer.subarray(7, 7 + size) };
        this.buffer = this.buffer.subarray(size + 8);
        if (f.type === 1 && f.payload.readUInt16BE(0) === 10 && f.payload.readUInt16BE(2) === 50) {
          const code = f.payload.readUInt16BE(4);
          const text = f.payload.subarray(7, 7 + (f.payload[6] ?? 0)).toString('utf8');
          this.closedBy = new AmqpClosed(code, text);
          socket.write(method(0, 10, 51, Buffer.alloc(0)));
        }
        this.frames.push(f);
      }
      this.wake();
    });
    const end = (): void => {
      this.closedBy ??= new AmqpClosed(0, 'socket closed');
      this.wake();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next method frame (skipping heartbeats); content frames are read by {@link get}. */
  private async next(): Promise<Frame> {
    for (;;) {
      const f = this.frames.shift();
      if (f !== undefined) {
        if (f.type === 8) continue;
        if (f.type === 1 && f.payload.readUInt16BE(0) === 10 && f.payload.readUInt16BE(2) === 50 && this.closedBy !== null) throw this.closedBy;
        if (f.type === 1 && f.payload.readUInt16BE(0) === 20 && f.payload.readUInt16BE(2) === 40) {
          throw new AmqpClosed(f.payload.readUInt16BE(4), f.payload.subarray(7, 7 + (f.payload[6] ?? 0)).toString('utf8'));
        }
        return f;
      }
      if (this.closedBy !== null) throw this.closedBy;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private async expect(classId: number, methodId: number): Promise<Frame> {
    const f = await this.next();
    if (f.type !== 1 || f.payload.readUInt16BE(0) !== classId || f.payload.readUInt16BE(2) !== methodId) {
      throw new Error(`AMQP: expected ${classId}.${methodId}, got type ${f.type} ${f.payload.readUInt16BE(0)}.${f.payload.readUInt16BE(2)}`);
    }
    return f;
  }

  /** Logs in with PLAIN and opens `vhost` and channel 1; rejects with {@link AmqpClosed} when refused. */
  static async open(port: number, username: string, password: string, vhost: string, host = '127.0.0.1'): Promise<AmqpConnection> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new AmqpConnection(socket);
    try {
      socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
      await c.expect(10, 10);
      const response = Buffer.from(`\0${username}\0${password}`, 'utf8');
      socket.write(method(0, 10, 11, Buffer.concat([emptyTable, shortstr('PLAIN'), longstr(response), shortstr('en_US')])));
      const tune = await c.expect(10, 30);
      socket.write(method(0, 10, 31, Buffer.concat([tune.payload.subarray(4, 6), tune.payload.subarray(6, 10), u16(0)])));
      socket.write(method(0, 10, 40, Buffer.concat([shortstr(vhost), shortstr(''), Buffer.from([0])])));
      await c.expect(10, 41);
      socket.write(method(1, 20, 10, shortstr('')));
      await c.expect(20, 11);
      return c;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  async declareQueue(queue: string): Promise<void> {
    this.socket.write(method(1, 50, 10, Buffer.concat([u16(0), shortstr(queue), Buffer.from([0]), emptyTable])));
    await this.expect(50, 11);
  }

  /** Publishes `body` to `queue` through the default exchange (fire and forget, like AMQP). */
  publish(queue: string, body: string): void {
    const content = Buffer.from(body, 'utf8');
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(content.length));
    this.socket.write(
      Buffer.concat([
        method(1, 60, 40, Buffer.concat([u16(0), shortstr(''), shortstr(queue), Buffer.from([0])])),
        frame(2, 1, Buffer.concat([u16(60), u16(0), size, u16(0)])),
        frame(3, 1, content),
      ]),
    );
  }

  /**
   * Publishes and waits until the queue holds the message: the queue.declare after it travels the
   * same channel and asks the same queue process, which handles both in order.
   */
  async publishSync(queue: string, body: string): Promise<void> {
    this.publish(queue, body);
    await this.declareQueue(queue);
  }

  /** One message from `queue` (auto-ack), or null when it is empty. */
  async get(queue: string): Promise<string | null> {
    this.socket.write(method(1, 60, 70, Buffer.concat([u16(0), shortstr(queue), Buffer.from([1])])));
    const f = await this.next();
    if (f.payload.readUInt16BE(2) === 72) return null;
    if (f.payload.readUInt16BE(2) !== 71) throw new Error('AMQP: unexpected answer to basic.get');
    for (;;) {
      const header = this.frames.shift() ?? (await this.waitFrame());
      if (header.type !== 2) continue;
      const size = Number(header.payload.readBigUInt64BE(4));
      let body = Buffer.alloc(0);
      while (body.length < size) body = Buffer.concat([body, (this.frames.shift() ?? (await this.waitFrame())).payload]);
      return body.toString('utf8');
    }
  }

  private async waitFrame(): Promise<Frame> {
    while (this.frames.length === 0) {
      if (this.closedBy !== null) throw this.closedBy;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return this.frames.shift() as Frame;
  }

  /** Resolves when the server has closed this connection (e.g. its user was revoked). */
  async closed(): Promise<AmqpClosed> {
    while (this.closedBy === null) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return this.closedBy;
  }

  close(): void {
    this.socket.destroy();
  }
}
