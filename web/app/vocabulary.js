/**
 * Codes the server accepts (mirrors `matching/vocabulary.py`; the server validates them), with
 * their labels from the catalogue (`topic.<code>`, `stage.<code>`, `urgency.<code>`).
 *
 * @module app/vocabulary
 */

import { t } from './i18n.js';

export const TOPIC_CODES = Object.freeze(['adverse-event', 'patient-death', 'medical-error',
  'second-victim', 'moral-injury', 'litigation', 'burnout', 'harassment', 'workplace-violence',
  'work-life', 'career', 'other']);
export const CAREER_STAGE_CODES = Object.freeze(['student', 'resident', 'fellow', 'early-career',
  'mid-career', 'senior']);
export const URGENCY_CODES = Object.freeze(['routine', 'soon', 'urgent']);

/** [code, label] pairs in the current locale. */
export const topics = () => TOPIC_CODES.map((code) => [code, t(`topic.${code}`)]);
export const careerStages = () => CAREER_STAGE_CODES.map((code) => [code, t(`stage.${code}`)]);
/** [code, label, hint] triples. */
export const urgencies = () => URGENCY_CODES.map((code) => [code, t(`urgency.${code}`),
  t(`urgency.${code}.hint`)]);

export const topicLabel = (code) => (TOPIC_CODES.includes(code) ? t(`topic.${code}`) : code);
export const urgencyLabel = (code) => (URGENCY_CODES.includes(code) ? t(`urgency.${code}`) : code);

/** Languages a person can pick (ISO 639-1 codes the server accepts), named in their own words. */
export const LANGUAGE_CODES = Object.freeze(['en', 'es', 'fr', 'de', 'pt', 'it', 'nl', 'pl',
  'zh', 'ar', 'hi', 'tl', 'vi', 'ko', 'ru', 'uk', 'ja', 'tr']);

export function languageName(code, locale) {
  try {
    return new Intl.DisplayNames([locale], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** The IANA time zones this browser knows, or a short list where it cannot say. */
export function timeZones() {
  try {
    const zones = Intl.supportedValuesOf('timeZone');
    if (zones.length > 0) return zones;
  } catch {
    // older browsers
  }
  return ['UTC', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles',
    'Europe/London', 'Europe/Berlin', 'Europe/Madrid', 'Asia/Tokyo', 'Australia/Sydney'];
}
