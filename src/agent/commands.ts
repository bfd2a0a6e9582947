/**
 * Imperative commands from the control plane, each with an id: run once, the answer kept for a
 * while so a repeat of the id (sent again after a reconnect) gets the first answer instead of a
 * second run. `follow` streams lines until cancelled; `exportVolume` and `importVolume` move a
 * volume's tar through the gateway's transfer endpoint (transfers.ts).
 *
 * @module
 */
import type { AgentCommand, AgentMessage, VolumeAccessWire } from '../api/agent-protocol.js';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import type { OutputLine, Target } from '../deploy/target.js';
import { viaProxy } from './converge.js';
import type { GatewayTransfers } from './transfers.js';

type Result = Extract<AgentMessage, { type: 'result' }>;

const remembered = 500;

export class Commands {
  private readonly done = new Map<string, Result>();
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly target: Target,
    private readonly send: (m: AgentMessage) => void,
    /** Volume transfers: the gateway's transfer endpoint and the registry proxy images are pulled through; absent: refused. */
    private readonly transfers?: { gateway: GatewayTransfers; proxyHost: string },
  ) {}

  handle(id: string, command: AgentCommand): void {
    const previous = this.done.get(id);
    if (previous) return void this.send(previous);
    if (this.running.has(id)) return;
    if (command.kind === 'cancel') {
      this.running.get(command.of)?.abort();
      return;
    }
    const abort = new AbortController();
    this.running.set(id, abort);
    void this.run(id, command, abort.signal)
      .then((value) => this.finish({ type: 'result', id, ok: true, value }))
      .catch((error: unknown) => this.finish({ type: 'result', id, ok: false, code: isSlipwayError(error) ? error.code : 'SLW_INTERNAL', message: error instanceof Error ? error.message : String(error) }))
      .finally(() => this.running.delete(id));
  }

  private finish(result: Result): void {
    this.done.set(result.id, result);
    if (this.done.size > remembered) this.done.delete(this.done.keys().next().value!);
    this.send(result);
  }

  private async run(id: string, c: Exclude<AgentCommand, { kind: 'cancel' }>, signal: AbortSignal): Promise<unknown> {
    switch (c.kind) {
      case 'logs':
        return this.target.logs(c.name, Math.min(Math.max(c.lines, 1), 10_000));
      case 'follow': {
        let batch: OutputLine[] = [];
        const flush = () => {
          if (batch.length > 0) this.send({ type: 'output', id, lines: batch });
          batch = [];
        };
        const timer = setInterval(flush, 100);
        try {
          for await (const line of this.target.follow(c.name, signal, Math.min(Math.max(c.tail, 0), 10_000))) {
            batch.push(line);
            if (batch.length >= 500) flush();
          }
        } finally {
          clearInterval(timer);
          flush();
        }
        return null;
      }
      case 'removeVolume':
        await this.target.removeVolume(c.name);
        return null;
      case 'removeNetwork':
        await this.target.removeNetwork?.(c.name);
        return null;
      case 'exportVolume': {
        const { gateway, access } = this.volumeAccess(c.access);
        await gateway.upload(c.transfer, this.target.exportVolume!(access));
        return null;
      }
      case 'importVolume': {
        const { gateway, access } = this.volumeAccess(c.access);
        await this.target.importVolume!(access, await gateway.download(c.transfer));
        return null;
      }
    }
  }

  private volumeAccess(wire: VolumeAccessWire): { gateway: GatewayTransfers; access: VolumeAccessWire } {
    if (!this.transfers || !this.target.exportVolume || !this.target.importVolume) throw new SlipwayError('SLW_VOLUME_TRANSFER_UNSUPPORTED', 'this agent cannot read or write volumes');
    return { gateway: this.transfers.gateway, access: viaProxy(wire, this.transfers.proxyHost) };
  }

  /** Stops every follow (the agent stops). */
  stop(): void {
    for (const a of this.running.values()) a.abort();
  }
}
