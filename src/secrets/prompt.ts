import { UsageError } from '../errors.ts';

export interface Input extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Reads one secret value: from a terminal with a prompt and no echo; otherwise all of stdin, less one
 * trailing newline (what `echo` or a here-doc adds), so `pass show x | plinth secrets set ...` works.
 */
export function readSecret(stdin: Input, prompt: { write(text: string): unknown }, label: string): Promise<string> {
  return stdin.isTTY && stdin.setRawMode ? readFromTerminal(stdin, prompt, label) : readAll(stdin);
}

function readAll(stdin: Input): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stdin.setEncoding('utf8');
    stdin.on('data', (chunk: string) => (text += chunk));
    stdin.once('end', () => resolve(text.replace(/\r?\n$/, '')));
    stdin.once('error', reject);
    stdin.resume();
  });
}

function readFromTerminal(stdin: Input, prompt: { write(text: string): unknown }, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    prompt.write(`${label}: `);
    stdin.setRawMode!(true);
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode!(false);
      stdin.removeListener('data', onData);
      stdin.pause();
      prompt.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new UsageError('cancelled; nothing was written'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
