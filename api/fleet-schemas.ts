/** What the fleet routes accept. */

/** The windows `GET /fleet/stats` counts tasks over, in seconds. */
export const fleetWindows = { '1h': 3600, '24h': 86_400, '7d': 604_800, '30d': 2_592_000 } as const;
export type FleetWindow = keyof typeof fleetWindows;

export const fleetStatsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { window: { enum: Object.keys(fleetWindows) }, min_position: { type: 'string' } },
} as const;
