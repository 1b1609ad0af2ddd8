/**
 * The router's contract checks (PROTOCOL.md 9.1): a publish whose topic the contract covers, and a
 * request whose method has a params schema, are decoded with the sender's codec and checked before
 * they go on. Nothing else is decoded. A connection's publishes and requests keep their order: while
 * an asynchronous check runs, what the connection sends next waits behind it.
 */
import { type Codec, type Contract, HeraldError, ValidationError, type ValidationOutcome } from '@herald/protocol';

/** What the gate needs of a connection. */
interface Sender {
  readonly codec: Codec;
}

export class ContractGate {
  readonly #contract: Contract | undefined;
  /** The end of each connection's chain of asynchronous checks, while one runs. */
  readonly #tails = new WeakMap<Sender, Promise<void>>();

  constructor(contract: Contract | undefined) {
    this.#contract = contract;
  }

  /** Runs `proceed` once a publish may go on (at once when nothing needs checking), else `refuse`. */
  publish(sender: Sender, topic: string, text: string, proceed: () => void, refuse: (error: HeraldError) => void): void {
    const contract = this.#contract;
    const covered = contract?.coversTopic(topic) === true;
    this.#run(sender, covered ? () => this.#check(sender, text, `the payload for "${topic}"`, (value) => contract!.checkTopic(topic, value)) : undefined, proceed, refuse);
  }

  /** Runs `proceed` once a request may go on, else `refuse`. */
  request(sender: Sender, method: string, text: string, proceed: () => void, refuse: (error: HeraldError) => void): void {
    const contract = this.#contract;
    const covered = contract?.coversMethod(method, 'params') === true;
    this.#run(sender, covered ? () => this.#check(sender, text, `the params of "${method}"`, (value) => contract!.checkMethod(method, 'params', value)) : undefined, proceed, refuse);
  }

  /** Checks a value the router holds (router.publish): resolves, or rejects with a ValidationError. */
  async checkValue(topic: string, value: unknown): Promise<void> {
    if (this.#contract?.coversTopic(topic) !== true) return;
    const issues = await this.#contract.checkTopic(topic, value);
    if (issues !== undefined) throw new ValidationError(`the payload for "${topic}"`, issues);
  }

  /** Checks a method's result the router holds as a value: the refusal, or `undefined` (a Promise for asynchronous schemas). */
  result(method: string, value: unknown): ValidationError | undefined | Promise<ValidationError | undefined> {
    if (this.#contract?.coversMethod(method, 'result') !== true) return undefined;
    const outcome = this.#contract.checkMethod(method, 'result', value);
    const refusal = (issues: ValidationOutcome): ValidationError | undefined => (issues === undefined ? undefined : new ValidationError(`the result of "${method}"`, issues));
    return outcome instanceof Promise ? outcome.then(refusal) : refusal(outcome);
  }

  #check(
    sender: Sender,
    text: string,
    what: string,
    check: (value: unknown) => ValidationOutcome | Promise<ValidationOutcome>,
  ): HeraldError | undefined | Promise<HeraldError | undefined> {
    const decoded = sender.codec.decode(text);
    if (!decoded.ok) return decoded.error;
    const outcome = check(decoded.value);
    const refusal = (issues: ValidationOutcome): HeraldError | undefined => (issues === undefined ? undefined : new ValidationError(what, issues));
    return outcome instanceof Promise ? outcome.then(refusal, (cause: unknown) => new HeraldError('INTERNAL_ERROR', `checking ${what} failed`, { cause })) : refusal(outcome);
  }

  #run(
    sender: Sender,
    check: (() => HeraldError | undefined | Promise<HeraldError | undefined>) | undefined,
    proceed: () => void,
    refuse: (error: HeraldError) => void,
  ): void {
    const settle = (error: HeraldError | undefined): void => (error === undefined ? proceed() : refuse(error));
    const tail = this.#tails.get(sender);
    if (tail === undefined) {
      const outcome = check?.();
      if (!(outcome instanceof Promise)) return settle(outcome);
      this.#chain(sender, outcome.then(settle));
      return;
    }
    this.#chain(sender, tail.then(() => (check === undefined ? undefined : check())).then(settle));
  }

  #chain(sender: Sender, next: Promise<void>): void {
    const guarded = next.catch(() => undefined);
    this.#tails.set(sender, guarded);
    void guarded.then(() => {
      if (this.#tails.get(sender) === guarded) this.#tails.delete(sender);
    });
  }
}
