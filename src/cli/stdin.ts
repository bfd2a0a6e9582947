/**
 * Reading a secret value: from a pipe (one trailing newline removed), or typed at a hidden
 * prompt when stdin is a terminal. Never from the command line, where it would land in shell
 * history and the process list.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';

/** Reads the value for `key` from stdin. */
export async function readSecretValue(key: string, example = `slipway secret set ${key} …`): Promise<string> {
  return readHidden(`value for ${key} (input hidden): `, `the value for ${key} is empty: pipe it on stdin, e.g. printf %s "$VALUE" | ${example}`);
}

/** Reads one value: typed at a hidden `prompt` on a terminal, else all of stdin; refuses an empty one with `emptyMessage`. */
export async function readHidden(prompt: string, emptyMessage: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(prompt) : stripNewline(await readAll());
  if (value.length === 0) throw new SlipwayError('SLW_USAGE', emptyMessage);
  return value;
}

function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new SlipwayError('SLW_USAGE', 'cancelled')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = (done: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      done();
    };
    stdin.on('data', onData);
  });
}
