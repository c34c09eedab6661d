// Implausible jumps on the patient's page (docs/ward.md): the server marks
// a change larger than the body can make in the time (e.g. weight more than
// 5 % within 24 h); the page shows each as a warning the clinician cannot
// miss, and marks the row in the table. It never judges anything itself.
import { h } from '../dom.js';
import * as body from '../body.js';

/* The jumps of ms (measurements, or the report's rows: devices as a
 * list) as one warning, or null. */
export function jumpNotice(ms) {
	const items = [];
	for (const m of ms) {
		for (const [type, c] of Object.entries(m.change || {})) {
			if (!c.jump) continue;
			const sign = c.percent > 0 ? '+' : '';
			items.push(h('li', { 'data-jump': type },
				`${body.label(type)} ${sign}${c.percent.toFixed(1)} % since the previous measurement, `,
				`measured ${new Date(m.time).toLocaleString()} on ${m.device_name || (m.devices || []).join(', ')}`));
		}
	}
	if (items.length === 0) return null;
	return h('div', { class: 'notice notice-warning jumps', role: 'alert' },
		h('strong', {}, 'Implausible change: check the patient and the device, or correct the measurement.'),
		h('ul', {}, items));
}
