/**
 * Codes the server accepts (mirrors `matching/vocabulary.py`; the server validates them).
 *
 * @module app/vocabulary
 */

export const TOPICS = [
  ['adverse-event', 'An adverse event'],
  ['patient-death', 'Death of a patient'],
  ['medical-error', 'A medical error'],
  ['second-victim', 'Second victim experience'],
  ['moral-injury', 'Moral injury'],
  ['litigation', 'Litigation or a complaint'],
  ['burnout', 'Burnout'],
  ['harassment', 'Harassment or discrimination'],
  ['workplace-violence', 'Workplace violence'],
  ['work-life', 'Work and life'],
  ['career', 'Career and training'],
  ['other', 'Something else'],
];

export const topicLabel = (code) => TOPICS.find(([c]) => c === code)?.[1] ?? code;

export const CAREER_STAGES = [
  ['student', 'Student'],
  ['resident', 'Resident'],
  ['fellow', 'Fellow'],
  ['early-career', 'Early career (up to ~5 years after training)'],
  ['mid-career', 'Mid-career'],
  ['senior', 'Senior (~20 years or more)'],
];

export const URGENCIES = [
  ['routine', 'Routine', 'In the next day or so'],
  ['soon', 'Soon', 'Within a few hours'],
  ['urgent', 'Urgent', 'As soon as possible (only supporters available right now)'],
];
