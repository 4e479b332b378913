import { streamViewProjector } from '../stream-view-projector.js';
import { evolveAlertView, type AlertView } from './alert-view.js';

const alerts = streamViewProjector<AlertView>({ name: 'alerts', category: 'alert', evolve: evolveAlertView });

export const alertProjector = alerts.projector;
export const alertCollection = alerts.collection;
