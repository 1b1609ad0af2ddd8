/** What the dashboard's topics and methods carry. */
export type Schema = {
  topics: {
    'sensors.*.temp': { at: Date; celsius: number };
    'chat.>': { from: string; text: string };
  };
  methods: { 'stats.get': { params: { since: Date }; result: { clients: number; uptime: bigint } } };
};
