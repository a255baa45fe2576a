// Dates, instants and remaining working time, in words. The server counts working time on the project's
// calendar (a working day is 24 h of counted time); here it is only put into words.
import { lang, t } from './i18n.js';

const DAY = 86400;
const ZONE = 'Asia/Shanghai';

export function workingTime(seconds) {
  const s = Math.abs(seconds);
  const days = Math.floor(s / DAY);
  const hours = Math.floor((s % DAY) / 3600);
  const parts = [];
  if (days) parts.push(days === 1 ? t('wd_one') : t('wd_many', { n: days }));
  if (hours) parts.push(t('hours', { n: hours }));
  if (!days && !hours) parts.push(t('minutes', { n: Math.max(1, Math.floor(s / 60)) }));
  return parts.join(' ');
}

/** "1 working day 3 h left" / "overdue by 2 working days". */
export function remainingWords(seconds) {
  if (seconds < 0) {
    const s = -seconds;
    // Overdue by whole days reads better without the hours once it is a day or more late.
    return t('overdue_by', { t: s >= DAY ? workingTime(Math.floor(s / DAY) * DAY) : workingTime(s) });
  }
  return t('left', { t: workingTime(seconds) });
}

const locale = () => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

export function instant(value) {
  if (!value) return '';
  return new Date(value).toLocaleString(locale(), {
    timeZone: ZONE, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function day(value) {
  if (!value) return '';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00+08:00`) : new Date(value);
  return d.toLocaleDateString(locale(), { timeZone: ZONE, year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' });
}

/** The clock that decides a stage's urgency: the running (or paused) one with the soonest deadline. */
export function decisiveClock(clocks) {
  const live = (clocks || []).filter((c) => c.status !== 'stopped');
  live.sort((a, b) => new Date(a.deadline_at) - new Date(b.deadline_at));
  return live[0] || null;
}

export const dueText = (due) => t(due || 'no_deadline');
