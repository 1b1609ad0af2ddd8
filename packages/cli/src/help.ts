/** `herald --help` and `herald <command> --help`. */

const VALUES = `Values (pub's value, call's params) are literals, parsed (never evaluated):
  42  -1.5  NaN  Infinity  12345678901234567890n (BigInt)  "text"  'text'  true  false  null  undefined
  [1, 2]  { celsius: 21.5, "room name": 'hall' }  Date("2026-12-06T10:00:00Z")  Date(0)
  Map([["a", 1], [2n, true]])  Set([1, 2])  Uint8Array([1, 2, 255])  RegExp("^a+$", "i")
Quote the whole value for your shell: herald pub chat.lobby "'hello'". With --json, values are JSON
and output is JSON (Dates as ISO strings, BigInts as strings, Maps as objects).`;

const CLIENT = `  -u, --url <ws://…>   the router (default: $HERALD_URL, else ws://127.0.0.1:8080/)
      --name <name>    the name others see (default herald-cli)
      --token <jwt>    the token for a router with authentication (default: $HERALD_TOKEN)
      --json           read and print JSON instead of literals`;

export const HELP: Record<string, string> = {
  herald: `herald: serve a Herald router and talk to one from a terminal.

Usage: herald <command> [options]      herald <command> --help for its options

Commands:
  serve              run a router (flags or --config herald.config.json|.js|.ts)
  pub <topic> [v]    publish a value (or one per line of standard input)
  sub <pattern>      print every message: topic, offset, publisher, value
  call <method> [p]  make a request and print its result
  presence <topic>   list (and with --watch, follow) who is present
  methods            list the methods and who provides them
  ping               round trip to the router
  token              mint a development JWT (HS256) with permissions

${VALUES}

Examples:
  herald serve --port 8080 --metrics
  herald sub 'sensors.>'
  herald pub sensors.kitchen.temp '{ at: Date("2026-12-06T10:00:00Z"), celsius: 21.5, count: 3n }'
  herald call stats.get '{ since: Date(0) }'
`,
  serve: `Usage: herald serve [options]

Runs a router until SIGINT or SIGTERM, then closes it gracefully (clients are told 1001 and
reconnect). Prints "herald: listening on ws://…" on stdout once it listens (a JSON line with
--log-format json); logs go to stderr. Flags override the config file.

  -c, --config <file>        herald.config.json, .js/.mjs (default export) or .ts (needs typescript)
  -p, --port <n>             default 8080 (0: any free port)
      --host <addr>          default 127.0.0.1 (0.0.0.0 to accept remote clients)
      --path <path>          default /
      --name <name>          the router's publisher name
      --redis <redis://…>    share state through Redis (@herald/redis); --redis-prefix <p> (default herald:)
      --history <n,age>      keep the last n messages per topic for age (e.g. 100,5m), or off
      --max-connections <n>  --max-payload <bytes>  --max-subscriptions <n>   (more limits: config "limits")
      --metrics              Prometheus metrics at /metrics on the router's port
      --metrics-port <n>     ... on a port of their own instead
      --admin                the admin page at /admin (a token is generated and printed on stderr; with
                             JWT authentication, none: a JWT allowed 'herald.admin:call' opens it)
      --admin-token <t>      ... with this token (or $HERALD_ADMIN_TOKEN; at least 16 characters)
      --jwt-secret <s>       verify JWTs (HS256) with this secret; clients without a valid one get close 4100
      --jwt-secret-env <VAR> ... read from this environment variable (default $HERALD_JWT_SECRET): out of ps
      --jwks-url <url>       ... or with an identity provider's keys (RS256 unless --jwt-algorithm)
      --jwt-algorithm <alg>  accepted algorithms (repeat it); --jwt-issuer <iss>  --jwt-audience <aud> (default herald)
      --anonymous <p:ops>    what clients without a token may do (repeat it; default: they are refused)
      --allowed-origin <o>   an Origin browsers may connect from (repeat it; others get HTTP 403)
      --log-format text|json readable lines (default) or one JSON object per line
      --log-level <level>    debug, info (default), warn, error
Health: GET /healthz (alive) and GET /readyz (listening and the engine reachable) on the router's port.

Examples:
  herald serve --port 8080 --redis redis://127.0.0.1:6379 --metrics --log-format json
  herald serve --config herald.config.json
  HERALD_JWT_SECRET=… herald serve --jwt-secret-env HERALD_JWT_SECRET --anonymous 'public.>:subscribe'

herald.config.json:
  { "port": 8080, "redis": { "url": "redis://127.0.0.1:6379", "prefix": "chat:" },
    "history": [{ "pattern": "chat.>", "limit": 500, "ttlMs": 3600000 }, { "limit": 10, "ttlMs": 60000 }],
    "limits": { "maxConnections": 50000, "maxPayload": 65536 }, "metrics": { "port": 9464 }, "logFormat": "json",
    "auth": { "secretEnv": "HERALD_JWT_SECRET", "issuer": "herald", "audience": "herald",
              "anonymous": { "allow": { "public.>": ["subscribe"] } } },
    "allowedOrigins": ["https://app.example.com"] }
`,
  pub: `Usage: herald pub <topic> [value] [options]

Publishes value to topic and prints "published <topic> #<offset>" once the router accepted it.
Without a value, publishes one value per line of standard input.

${CLIENT}

${VALUES}

Examples:
  herald pub chat.lobby "'hello'"
  herald pub sensors.kitchen.temp '{ at: Date("2026-12-06T10:00:00Z"), tags: Map([["unit", "C"]]), n: 10n }'
  printf '1\\n2\\n3\\n' | herald pub counters.demo
  herald pub chat.lobby '{"text":"hi"}' --json
`,
  sub: `Usage: herald sub <pattern> [options]

Prints one line per message: "<topic> #<offset> from <publisher>: <value>" (with --json, one JSON
object per line: topic, offset, epoch, publisher, publishedAt, replayed, data), until Ctrl-C.

${CLIENT}
      --rewind <n>     first replay the last n messages of each matching topic
  -n, --count <n>      exit after n messages

Examples:
  herald sub 'sensors.>'
  herald sub 'chat.*' --rewind 10 --json | jq .data
`,
  call: `Usage: herald call <method> [params] [options]

Sends a request and prints the result (a RemoteError prints its code and message, exit 1).

${CLIENT}
  -t, --timeout <ms>   how long to wait (default: the router's)

Examples:
  herald call stats.get '{ since: Date(0) }'
  herald call math.sum '[1n, 2n]' --timeout 500
`,
  presence: `Usage: herald presence <topic> [options]

Lists the members of a topic's presence: "<name> (<id>) since <time> <info>".

${CLIENT}
  -w, --watch          then print "+ member" and "- member (reason)" until Ctrl-C

Example:
  herald presence 'sensors.>' --watch
`,
  methods: `Usage: herald methods [options]

Lists each method and its providers.

${CLIENT}

Example:
  herald methods --url ws://127.0.0.1:8080/
`,
  ping: `Usage: herald ping [options]

Connects, sends a ping and prints the round trip in milliseconds.

${CLIENT}

Example:
  herald ping --url ws://127.0.0.1:8080/
`,
  token: `Usage: herald token --secret <secret> --user <id> [--allow pattern:ops]... [options]

Prints a development JWT (HS256, signed with jose) for a router that verifies tokens with the
same secret (herald serve --jwt-secret). Claims: sub (the user), exp, iat, iss and aud (default
herald, what herald serve expects), and herald: { allow: { pattern: [ops] }, deny: { pattern: [ops] } },
the claim jwtAuthenticator reads.
Operations: publish, subscribe, history, presence, watch, call, handle, or * for all.

      --secret <s>         the HMAC secret (or the variable named by --secret-env, default $HERALD_JWT_SECRET)
      --user <id>          the subject
      --allow <p:ops>      allow operations on a pattern (repeat it)
      --deny <p:ops>       deny them (deny wins)
      --name <name>        a name claim
      --expires <dur>      lifetime (default 1h; 30s, 15m, 2h…)
      --issuer <iss>  --audience <aud>   (default herald each; "" leaves the claim out)

Example:
  herald token --secret dev-secret --user kirk --allow 'sensors.>:subscribe' --allow 'chat.>:publish,subscribe'
`,
};
