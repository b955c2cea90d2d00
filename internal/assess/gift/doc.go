// Package gift reads and writes Moodle's GIFT question format.
//
// # Reading
//
// Questions are separated by blank lines. Lines starting with // are
// comments. A block "$CATEGORY: a/b" sets Tags.Topic for the questions after
// it (Moodle's "$course$/", "$system$/", "$module$/" and a leading "top/"
// are removed). "::Title::" becomes Item.Title and Parsed.Ref. A format
// prefix [markdown], [html], [moodle] or [plain] is removed and the text kept
// as written: Vidya stores Markdown, and HTML inside Markdown is shown as
// HTML. The escapes \~ \= \# \{ \} \: and \\ give the character itself, \n a
// line break; any other backslash is kept (so LaTeX such as \frac survives,
// but \nu reads as a line break then "u", as in Moodle). White space around
// every text is trimmed.
//
// The answer block {…} may stand in the middle of the text; the stem is
// then the text before, "_____", and the text after. "####text" inside the
// block is the general feedback and becomes Text.Explanation. The type is
// found as Moodle finds it:
//
//   - {} is an essay.
//   - {#…} is numeric: {#3.14:0.01} (value and tolerance), {#1..5} (range),
//     or several answers {# =3.14:0.01 =%50%3:0.5}, of which the first at
//     100% is kept; partial and wrong numeric answers are dropped.
//   - A block with ~ is a choice question. Answers marked = weigh 100%,
//     answers marked ~ weigh 0% unless they carry a weight (~%50%, ~%-100%).
//     Choices get ids A, B, C… in order; "#text" after an answer becomes
//     Text.Feedback for it. Exactly one answer at 100% gives SingleChoice
//     (any other non-zero weights, partial credit or a penalty for a wrong
//     choice, are kept in Scoring.Weights as the fraction × marks, as
//     Moodle scores a one-answer question with partial credit). Otherwise,
//     several answers at 100% or positive weights below 100%, it is
//     MultipleResponse: the key is every answer with a positive weight;
//     with no partial weights it is all or nothing, with them Scoring.Weights
//     holds every non-zero weight × marks, and the positive weights must add
//     up to 100%. An answer block where nothing weighs more than 0 is
//     rejected. Weights are rounded to 6 decimal places.
//   - A block with = and -> is matching: {=a -> 1 =b -> 2}, two pairs or more;
//     "= -> x" adds a right-hand distractor. Left ids are A, B…, right ids
//     1, 2… (each distinct right text once, distractors last); scored per
//     pair (Scoring.Partial), as Moodle does.
//   - {T}, {TRUE}, {F}, {FALSE} (any case) is true/false, with optional
//     feedback {T#shown if wrong#shown if right}, kept as Text.Feedback of the
//     choices "false" and "true".
//   - Anything else is short answer: {=Paris =paris city} or {Paris}. Only
//     answers at 100% are accepted answers; partial ones (=%50%…) are
//     dropped, and a block with no answer at 100% is rejected. Matching is
//     case-insensitive, as Moodle's default.
//
// For numeric and short-answer questions, which have no choices to attach
// feedback to, the feedback of the accepted answer becomes the explanation
// when there is no general feedback; other answers' feedback is dropped.
// Per-pair feedback on matching questions is ignored, as in Moodle.
//
// Nothing is dropped or changed silently: each question read carries a
// note (assess.Parsed.Notes) for every answer dropped (partial and wrong
// short and numeric answers, a second fully right number), every feedback
// dropped (that of dropped answers, of later accepted answers, of the
// accepted answer when there is general feedback, of matching pairs), a
// weight rounded, a [plain] or [moodle] text read as Markdown, and a title
// too long to be one. UTF-16 text gets a file note (Parsed.FileNotes) on
// the first question.
//
// A block with no answer block (Moodle's "description") is not a question:
// it is reported as a Parsed with an error so it shows in the import
// report. Items get Status draft, Options.Marks marks, Options.Lang as their
// language, and Shuffle false.
//
// # Writing
//
// Writer writes every type except ordering, which GIFT cannot express (it is
// refused with an Unsupported error). Text goes out with escapes, line
// breaks as \n, under a [markdown] prefix, in one language. What GIFT cannot
// hold (negative marks, marks for no answer, bounds, a default weight,
// case-sensitive or space-blind matching, shuffling, other languages) is
// written as a "// not in GIFT:" comment above the question so it is seen,
// not lost silently. A multiple-response item with a single correct choice
// and no weights reads back as single choice.
package gift
