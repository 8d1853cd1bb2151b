/**
 * The protocol itself (bridge/PROTOCOL.md): a malformed request line, the closed error set, masked
 * log tails, and commands that die, hang or break the protocol.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandBackend } from '../targets/command-backend';
import { commandProcess, stopCommandProcesses } from '../targets/command-process';
import { errorFromAnswer, type ProtocolErrorBody } from '../targets/command-errors';
import { redactLogText } from '../targets/command-instance';
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  InvalidNameError,
  MalformedSecretError,
  NotUniqueError,
  SecretsError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../model/errors';
import { expectNoSecretIn, expectRejects } from '../suites/expect-secret';
import { airflowBridgeCommand } from '../targets/airflow-bridge';
import { requireAirflow, scratchWriter } from './support/bridge-harness';

const scratch = mkdtempSync(join(tmpdir(), 'bridge-protocol-'));
const writeScratch = scratchWriter(scratch);

afterAll(async () => {
  await stopCommandProcesses();
});

describe('the protocol itself', () => {
  it('answers a malformed line, a non-object and an unknown op with a protocol error, and keeps serving', async (context) => {
    requireAirflow(context);
    const command = airflowBridgeCommand();
    const child = spawn('file' in command ? command.file : '', 'file' in command ? [...command.args] : [], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ask = async (line: string) => {
      child.stdin.write(`${line}\n`);
      const next = await lines.next();
      return JSON.parse(String(next.value)) as { id: unknown; value?: unknown; error?: { kind: string; message: string } };
    };
    try {
      const garbage = await ask('this is not json {');
      expect(garbage).toMatchObject({ id: null, error: { kind: 'protocol' } });
      expect((await ask('[1, 2]')).error?.kind).toBe('protocol');
      expect(await ask('{"id": "x", "op": "explode"}')).toMatchObject({
        id: 'x',
        error: { kind: 'protocol', message: expect.stringMatching(/unknown op/) },
      });
      expect(await ask('{"id": 4, "op": "get_variable", "key": "k"}')).toMatchObject({ id: 4, error: { kind: 'protocol' } });
      expect(await ask('{"id": 5, "op": "hello"}')).toMatchObject({ id: 5, value: { protocol: 1 } });
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('close', resolve));
    }
  });

  it('maps every kind to the closed error set', () => {
    const context = { op: 'get_variable', subject: 'variable "k"', where: 'test' };
    const cases: Array<[ProtocolErrorBody, abstract new (...args: never[]) => SecretsError]> = [
      [{ kind: 'unauthorized' }, UnauthorizedError],
      [{ kind: 'forbidden' }, ForbiddenError],
      [{ kind: 'unavailable' }, UnavailableError],
      [{ kind: 'timeout' }, TimeoutError],
      [{ kind: 'throttled' }, ThrottledError],
      [{ kind: 'invalid-name' }, InvalidNameError],
      [{ kind: 'malformed' }, MalformedSecretError],
      [{ kind: 'malformed', detail: 'not-unique' }, NotUniqueError],
      [{ kind: 'malformed', detail: 'file-parse', errors: [{ line: 2, message: 'bad' }] }, FileParseError],
      [{ kind: 'configuration' }, ConfigurationError],
      [{ kind: 'protocol' }, ConfigurationError],
      [{ kind: 'something-new' }, UnavailableError],
    ];
    for (const [body, errorClass] of cases) {
      const error = errorFromAnswer({ message: 'm', ...body }, context);
      expect(error, String(body.kind)).toBeInstanceOf(errorClass);
    }
    expect(errorFromAnswer({ kind: 'malformed' }, { ...context, op: 'get_connection' })).toBeInstanceOf(ConnectionFormatError);
  });

  it('masks URI userinfo and credential fields in a log tail', () => {
    const text = 'Invalid connection string: postgres://u:p4ss@h/db\nfailed at http://user:pw@host/x with "password": "s3cret"';
    const redacted = redactLogText(text);
    for (const value of ['p4ss', ':pw@', 's3cret']) expect(redacted).not.toContain(value);
  });
});

describe('a command that dies, hangs or breaks the protocol', () => {
  const hello = `{"id":1,"value":{"protocol":1,"implementation":"test-command"}}`;

  it('a command that exits is UnavailableError with its stderr tail, and is started again on the next request', async () => {
    const marker = writeScratch('starts.txt', '');
    const command = commandProcess(
      { shell: `echo start >> ${marker}; read line; echo '${hello}'; read line; echo 'giving up now' >&2; exit 3` },
      { cwd: scratch },
    );
    const backend = new CommandBackend({ command, backend: 'x' });
    const error = await expectRejects(backend.getVariable('k'), UnavailableError, 'a dying command');
    expect(error.message).toMatch(/exited with code 3/);
    expect(error.message).toContain('giving up now');
    await expectRejects(backend.getVariable('k'), UnavailableError, 'the restarted command dies again');
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(2);
    await backend.close();
  });

  it('a command that dies before hello is started at most five times in a row', async () => {
    const command = commandProcess({ shell: 'echo "no config found" >&2; exit 2' }, { cwd: scratch });
    const backend = new CommandBackend({ command, backend: 'x' });
    const messages: string[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      messages.push((await expectRejects(backend.getVariable('k'), UnavailableError, `attempt ${attempt + 1}`)).message);
    }
    expect(messages[0]).toMatch(/exited with code 2; stderr ends: no config found/);
    expect(messages[5]).toMatch(/failed 5 starts in a row \(last: exited with code 2\); not starting it again/);
    await backend.close();
  });

  it('a command that cannot be started names the reason', async () => {
    const command = commandProcess({ file: join(scratch, 'no-such-program'), args: [] });
    const backend = new CommandBackend({ command, backend: 'x' });
    const error = await expectRejects(backend.getVariable('k'), UnavailableError, 'a missing program');
    expect(error.message).toMatch(/could not be started \(ENOENT\)/);
    await backend.close();
  });

  it('a command that does not answer within the request timeout is TimeoutError and is replaced', async () => {
    const command = commandProcess({ shell: `read line; echo '${hello}'; read line; read line` }, { cwd: scratch });
    const backend = new CommandBackend({ command, backend: 'x', requestTimeoutMs: 300 });
    await expectRejects(backend.getVariable('k'), TimeoutError, 'a hanging command');
    await backend.close();
  });

  it("the process's own request bound holds for every request that sets none", async () => {
    const command = commandProcess({ shell: `read line; echo '${hello}'; read line; read line` }, { cwd: scratch, requestTimeoutMs: 300 });
    const backend = new CommandBackend({ command, backend: 'x' });
    const error = await expectRejects(backend.getVariable('k'), TimeoutError, 'a hanging command with a bound of its own');
    expect(error.message).toMatch(/within 300 ms/);
    await backend.close();
  });

  it('a command that writes anything but answers on stdout is stopped for breaking the protocol', async () => {
    const command = commandProcess({ shell: `read line; echo 'Starting up...'; read line` }, { cwd: scratch });
    const backend = new CommandBackend({ command, backend: 'x' });
    const error = await expectRejects(backend.getVariable('k'), UnavailableError, 'a chatty command');
    expect(error.message).toMatch(/broke the protocol/);
    await backend.close();
  });

  it('a hello without the protocol version is refused', async () => {
    const command = commandProcess({ shell: `read line; echo '{"id":1,"value":{"protocol":99}}'; read line` }, { cwd: scratch });
    const backend = new CommandBackend({ command, backend: 'x' });
    await expectRejects(backend.getVariable('k'), ConfigurationError, 'a foreign protocol');
    await backend.close();
  });

  it('an error answer of the secret-free kind keeps its type and hint', async () => {
    const error = errorFromAnswer(
      { kind: 'forbidden', type: 'hvac.exceptions.Forbidden', message: 'permission denied', hint: 'grant read' },
      { op: 'get_variable', subject: 'variable "k"', where: 'vault' },
    );
    expect(error.oneLine()).toBe('ForbiddenError: variable "k": permission denied [hvac.exceptions.Forbidden] (vault); hint: grant read');
    expectNoSecretIn(error, ['s3cret'], 'an error built from an answer');
  });
});
