// Package analysis turns graded exam attempts into results and statistics:
// ranks and percentiles within a shift, the merit list across shifts by
// India's NTA normalisation, item analysis (facility, discrimination,
// distractors, flags), test statistics (Cronbach's α, a score histogram)
// and an accessible SVG chart of the score distribution. It is pure
// computation over values in memory: no database, no HTTP.
//
// The inputs are deliberately flat (an Attempt holds slices, never maps) so
// that a national exam of 450,000 attempts × 100 items fits in memory and
// is analysed in a few seconds. Measure with
//
//	go test -run XXX -bench . -benchmem ./internal/assess/analysis
//
// On the 2-vCPU reference machine (2026-11-22), 450,000 attempts × 100
// items in 4 shifts and 3 sections (45 million responses, 2.1 GB of input):
// Rank 1.1 s and 85 MB allocated; AnalyseItems 1.2–2.0 s and 19 MB;
// Analyse (both, side by side) 2.6 s and 100 MB.
//
// # Scores
//
// Scores are compared exactly as given. The grader rounds section and total
// scores to 6 decimals (assess.round6), so equal marks compare equal; the
// histogram also works in millionths of a mark. NaN or infinite scores are
// refused.
//
// # Percentile within a shift (NTA)
//
//	percentile = 100 × (candidates in the shift with raw score ≤ the candidate's)
//	                 ÷ (candidates in the shift)
//
// computed exactly in integers and rounded half up to 7 decimals (the
// digit after the 7th decides: …5 and above rounds up). A Percentile holds
// the rounded value in units of 10⁻⁷, so 1/3 of a shift is 33.3333333
// everywhere and comparisons between candidates are exact. The top scorer
// of every shift gets 100.0000000; every percentile lies in (0, 100].
// Section percentiles are computed the same way, within the shift, from
// the section raw scores. The rank within a shift is the standard
// competition rank by raw score (1 + the number of candidates in the shift
// with a higher score).
//
// # Merit list across shifts
//
// Shifts are merged on the overall percentile (the "NTA score"). Candidates
// are ordered by these rules, each applied only when all earlier ones tie:
//
//  1. higher overall percentile (as rounded to 7 decimals);
//  2. higher section percentile, section by section in the exam's
//     tie-break order (Exam.TieBreak; paper order when it is empty) — for
//     JEE Main, Mathematics, then Physics, then Chemistry;
//  3. lower ratio of wrong to right answers over the whole paper, compared
//     exactly as fractions: no wrong answers is a ratio of 0 (best), wrong
//     answers with no right ones is an infinite ratio (worst), and two
//     infinite ratios are equal;
//  4. candidates still equal share a rank: standard competition ranking
//     ("1, 2, 2, 4"), as NTA gives the same rank to ties that survive
//     every rule. Within a shared rank, results are listed by attempt id
//     so that output is deterministic; the id never decides a rank.
//
// (NTA's published rules also use the candidate's age before declaring a
// tie; attempts carry no date of birth, so that rule is not applied.)
//
// # Item analysis
//
// An item is analysed over the attempts that had it on their paper (items
// drawn from pools appear on only some papers).
//
//   - Facility (p-value) = Σ score ÷ Σ maximum score over those attempts
//     (the mean score ÷ the maximum when the maximum is the same on every
//     paper). With negative marking it can be below 0.
//   - Discrimination = Pearson correlation between the item score and the
//     rest-of-test score (Attempt.Score minus the item's score); for 0/1
//     items this is the point-biserial correlation. Sums of squares and
//     co-moments are accumulated in one pass with Welford's updates. When
//     the item or the rest score has no variance (or fewer than 2 attempts
//     had the item) the discrimination is reported as 0 and the item is
//     flagged NoVariance.
//   - Distractors: for items where any candidate chose an option
//     (Response.Choice), the share of attempts choosing each option, and the
//     share omitting the item (not answered), among all attempts that had
//     the item and among those in the top and the bottom 27% by total
//     score. An answer without a single choice (on a choice item) counts
//     in neither an option nor the omitted share.
//     The groups are formed over all attempts analysed: attempts are
//     ordered by Score (descending) and then by id, and the top and bottom
//     g = round(0.27 × n) (halves up) form the groups, so each group has
//     exactly g members and a tie at the cut is split by attempt id. Analyse
//     one paper or shift at a time when shifts differ in difficulty.
//   - Flags: Negative when discrimination < 0 ("check the key"), Weak when
//     0 ≤ discrimination < 0.2, TooEasy when facility > 0.95, TooHard when
//     facility < 0.1, NoVariance as above (then neither Weak nor Negative).
//
// # Test statistics
//
// n, mean, population standard deviation (divided by n), minimum, maximum
// and median (the mean of the two middle scores when n is even) of
// Attempt.Score.
//
// Cronbach's α = k/(k−1) · (1 − Σ item variances ÷ variance of the sum of
// the k item scores), with population variances. When every attempt had
// the same items, k is all of them; when papers differ (pools), α is
// computed over the items common to every attempt and Reliability.Common
// says so. With fewer than 2 common items, fewer than 2 attempts, or no
// variance in the summed score, α is not available. α cannot exceed 1
// mathematically; a result above 1 from rounding is reported as 1.
//
// # Histogram
//
// Bins are half-open [lo, lo+width) and start at a multiple of the width,
// so edges are round numbers. Unless a width is given, it is the smallest
// of 1, 2, 5 × 10^k that gives at most 25 bins over the observed range,
// and at least 1 mark when every score is a whole number (so whole marks
// never fall into alternate empty bins). The arithmetic is done in
// millionths of a mark, so a score never lands in the wrong bin through
// floating-point error.
package analysis
