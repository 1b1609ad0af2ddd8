import { Client, type ConnectOptions, type DefaultSchema, type HeraldSchema, superjsonCodec } from '@herald/client';
import { type ReactNode, createContext, createElement, useEffect, useRef, useState } from 'react';

/** What the provider shares: the client, once there is one (never during server rendering). */
export const HeraldContext = createContext<Client | undefined>(undefined);
HeraldContext.displayName = 'HeraldContext';

/** Props of {@link HeraldProvider}: a client to share, or where to connect. */
export type HeraldProviderProps<S extends HeraldSchema = DefaultSchema> =
  | {
      /** A client made with `connect()`: shared as is, and left open on unmount (it is yours). */
      client: Client<S>;
      url?: never;
      options?: never;
      children?: ReactNode;
    }
  | {
      client?: never;
      /** The router's URL: the provider connects once mounted (never on the server) and closes on unmount. */
      url: string;
      /** Connect options, read when the provider connects (a change of `url` connects again). */
      options?: ConnectOptions;
      children?: ReactNode;
    };

interface Owned {
  client: Client;
  url: string;
  closing: boolean;
}

/**
 * Shares a Herald client with the hooks below it. Given `url`, it connects once mounted and closes
 * the connection on unmount; StrictMode's simulated unmount and remount keep the same connection.
 * Nothing connects during server rendering: the hooks return their idle state there.
 *
 * @example
 * ```tsx
 * // doctest: declare function Dashboard(): null;
 * import { HeraldProvider } from '@herald/react';
 * <HeraldProvider url="ws://127.0.0.1:8080/" options={{ name: 'dashboard' }}>
 *   <Dashboard />
 * </HeraldProvider>;
 * ```
 */
export function HeraldProvider<S extends HeraldSchema = DefaultSchema>(props: HeraldProviderProps<S>): ReactNode {
  const given = props.client as Client | undefined;
  const [connected, setConnected] = useState<Client | undefined>(undefined);
  const owned = useRef<Owned | undefined>(undefined);
  const { url } = props;
  const options = useRef(props.options);
  options.current = props.options;

  useEffect(() => {
    if (given !== undefined || url === undefined) return;
    let holder = owned.current;
    if (holder !== undefined && holder.url === url && holder.closing) {
      holder.closing = false; // StrictMode's remount: keep the connection
    } else {
      holder = { client: new Client(url, options.current ?? {}, superjsonCodec), url, closing: false };
      owned.current = holder;
      // A failed first attempt shows in the client's state (`closed`) and in the hooks' errors.
      holder.client.opened.catch(() => undefined);
      setConnected(holder.client);
    }
    const mine = holder;
    return () => {
      mine.closing = true;
      queueMicrotask(() => {
        if (!mine.closing) return;
        if (owned.current === mine) owned.current = undefined;
        void mine.client.close();
      });
    };
  }, [given, url]);

  const client = given ?? (connected !== undefined && connected.url === url ? connected : undefined);
  // createElement rather than JSX: the package's sources stay .ts (their maps point at src/*.ts).
  return createElement(HeraldContext.Provider, { value: client }, props.children);
}

