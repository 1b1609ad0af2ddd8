/**
 * The `herald` command: dispatches to a command, prints usage errors (exit 2: a wrong command line,
 * or a refused option, then prefixed `OPTION_INVALID:`) and failures (exit 1).
 */
import { call, describe, methods, ping, presence, pub, sub } from './client-commands.js';
import { HELP } from './help.js';
import { serve } from './serve.js';
import { token } from './token.js';
import { UsageError } from './usage.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { serve, pub, sub, call, presence, methods, ping, token };

/** Runs `herald` with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(HELP[topic !== undefined && topic in COMMANDS ? topic : 'herald']!);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    process.stderr.write(`herald: unknown command "${command}"\n\n${HELP.herald}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP[command]!);
    return 0;
  }
  try {
    return await run(rest);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    // A refused option is a usage error (exit 2) whether the CLI refused its flag or a factory
    // (createRouter, redisEngine, jwtAuthenticator, connect) refused the value a flag or the config gave.
    if (error instanceof UsageError || code === 'OPTION_INVALID' || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`herald ${command}: ${code === 'OPTION_INVALID' ? 'OPTION_INVALID: ' : ''}${(error as Error).message}\nRun herald ${command} --help for usage.\n`);
      return 2;
    }
    process.stderr.write(`herald ${command}: ${describe(error)}\n`);
    return 1;
  }
}
