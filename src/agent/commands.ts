/**
 * Imperative commands from the control plane, each with an id: run once, the answer kept for a
 * while so a repeat of the id (sent again after a reconnect) gets the first answer instead of a
 * second run. `follow` streams lines until cancelled.
 *
 * @module
 */
import type { AgentCommand, AgentMessage } from '../api/agent-protocol.js';
import { isSlipwayError } from '../core/errors.js';
import type { OutputLine, Target } from '../deploy/target.js';

type Result = Extract<AgentMessage, { type: 'result' }>;

const remembered = 500;

export class Commands {
  private readonly done = new Map<string, Result>();
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly target: Target,
    private readonly send: (m: AgentMessage) => void,
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
    }
  }

  /** Stops every follow (the agent stops). */
  stop(): void {
    for (const a of this.running.values()) a.abort();
  }
}
