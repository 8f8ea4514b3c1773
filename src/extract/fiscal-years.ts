import { fiscalYearOfEnd, isAnnualForm, type FactsIndex } from './facts-index.js';

/*
 * A company's own fiscal-year labels. Companies whose year ends around the turn of January name it
 * differently: Walmart's year ending 2025-01-31 is its fiscal 2025, Target's ending 2025-02-01 and
 * Home Depot's ending 2025-02-02 are their fiscal 2024. Each annual report says which year it
 * reports on (`fy`, the filing's DocumentFiscalYearFocus), and that is the label of its own
 * period. The labels of one company follow one rule, its newest reports': early XBRL years carry
 * `fy` values the company itself never used (NVIDIA's 10-Ks filed 2011–2014 say 2010–2013 for the
 * years NVIDIA calls fiscal 2011–2014, then 2015 for fiscal 2015), and labelling each year by its
 * own report would skip a year there.
 */

/** The newest annual reports whose `fy` decides the company's rule (the most common offset wins, ties to the newest). */
const VOTING_REPORTS = 5;

/**
 * The labeller of a company's fiscal years: {@link fiscalYearOfEnd} (the end-date rule) shifted by
 * the offset the company's newest annual reports show between their `fy` and that rule. A report
 * counts when its `fy` is a whole number within one year of its own period's end year; without
 * one, the end-date rule stands.
 */
export function fiscalYearLabeler(index: FactsIndex): (end: string) => number {
  const newestFirst = [...index.filings().values()]
    .filter((filing) => isAnnualForm(filing.form) && Number.isInteger(filing.fy) && Math.abs((filing.fy ?? 0) - Number(filing.end.slice(0, 4))) <= 1)
    .sort((a, b) => b.filed.localeCompare(a.filed))
    .slice(0, VOTING_REPORTS);
  const offsets = newestFirst.map((filing) => (filing.fy as number) - fiscalYearOfEnd(filing.end));
  const votes = (offset: number) => offsets.filter((other) => other === offset).length;
  // Ties go to the newest report's offset: it comes first and only a larger count displaces it.
  const offset = offsets.reduce<number | undefined>((best, candidate) => (best === undefined || votes(candidate) > votes(best) ? candidate : best), undefined) ?? 0;
  return (end) => fiscalYearOfEnd(end) + offset;
}
