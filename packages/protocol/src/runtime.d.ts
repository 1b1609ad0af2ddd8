/**
 * The few runtime globals the protocol uses, declared by hand: they exist in browsers, Node 20+,
 * Deno and Bun. The protocol compiles without the DOM or Node type libraries, so a Node-only or
 * DOM-only API used here fails to compile.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare const console: {
  error(...data: unknown[]): void;
  warn(...data: unknown[]): void;
};
declare class URL {
  constructor(url: string, base?: string);
  readonly href: string;
}
