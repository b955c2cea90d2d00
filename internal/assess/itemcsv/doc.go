// Package itemcsv reads and writes Vidya's CSV layout for question banks,
// the form exam boards keep in spreadsheets.
//
// # The layout
//
// The file is UTF-8 CSV (in Excel: "CSV UTF-8"; a byte-order mark is fine,
// and so is Excel's "Unicode text" UTF-16 with its mark) with a header row.
// One row is one question. Columns are found by their name in the header,
// in any order and any case; a column the layout does not know is an error
// for the whole file, naming it, so a misspelt column never loses data
// silently. Leave out the columns you do not use. An unnamed column must be
// empty. Rows with every cell empty are skipped. Cells are trimmed of
// surrounding spaces; a cell may hold line breaks (quoted, as spreadsheets
// write them).
//
//	id              optional: your own id for the question (used in the
//	                import report, and to update the question on re-import)
//	title           optional: a short name for lists
//	type            required: single_choice, multiple_response, true_false,
//	                numeric, short_text, essay or ordering (spaces and - may
//	                stand for _)
//	stem_en         the question in English
//	stem_hi         the question in Hindi; give at least one of the stems,
//	                both for a bilingual question
//	option_a_en …   the options in English, a to j; leave the later ones
//	option_j_en     empty when there are fewer; no gaps
//	option_a_hi …   the same options in Hindi, when stem_hi is given: the
//	option_j_hi     same number as in English
//	correct         single_choice: one letter, B
//	                multiple_response: the letters, A,C (or A;C or AC)
//	                ordering: every letter in the correct order, C,A,D,B
//	                true_false: true or false (T or F)
//	                numeric: a number, 3.14, or a range, 1..5
//	                short_text: the accepted answers, Delhi|New Delhi
//	                essay: empty (put a model answer in the explanation)
//	max_choices     multiple_response only: the most options a candidate
//	                may choose, e.g. 2; empty or 0 for no limit. A
//	                response with more is wrong.
//	tolerance       numeric only: how far from the number an answer may be
//	marks           marks for a right answer; default 1 (or as the import
//	                is told)
//	negative_marks  marks taken off for a wrong answer, e.g. 1 for +4/−1;
//	                written 1 or -1, both mean the same
//	explanation_en  the worked solution shown after the attempt
//	explanation_hi
//	topic           a path in the board's syllabus, e.g. physics/optics
//	difficulty      easy, medium or hard
//	bloom           remember, understand, apply, analyse, evaluate or create
//	source          where the question came from, e.g. NEET 2023 Q17
//	labels          free labels separated by ;
//	shuffle         yes to let delivery shuffle the options (default no)
//
// UTF-16 text (with its mark) is read, and the import report says so once
// (assess.Parsed.FileNotes, on the first row). Nothing in a row is dropped
// or changed silently beyond spellings that mean the same (-1 for 1 in
// negative_marks, T for true, analyze for analyse): a cell the layout
// cannot use is an error, so rows carry no notes.
//
// Rows are numbered as a spreadsheet shows them: the header is row 1.
// A row that cannot be read is reported with its number and the reason, and
// reading goes on with the next row. Multiple-response questions are scored
// all or nothing; short-text answers are matched ignoring case. Matching
// questions, per-option feedback and partial-credit weights have no columns:
// use GIFT or QTI for them. Options.Lang is not used: the columns name the
// language.
//
// Write writes the same layout with only the columns the items need, and
// refuses (naming the item) an item the layout cannot hold. A large export
// uses Layout to check its items and choose the columns in a first pass,
// then Writer to write them in a second, never holding them all.
//
// # Formulas
//
// A spreadsheet runs a cell that starts with =, +, -, @, a tab or a
// carriage return as a formula, so an item's text could run commands on the
// machine of whoever opens the export. Write therefore puts an apostrophe
// before every text cell that starts with one of those (OWASP's advice; the
// spreadsheet shows the text), and before a text cell of apostrophes then
// one of those, so the two can be told apart. Read takes that one
// apostrophe off again, and only there: '=1+1 reads as =1+1, and two
// apostrophes then =1+1 as '=1+1, while 'tis (an apostrophe before
// anything else) is kept as it is. Numbers — marks, negative_marks, tolerance, max_choices and a
// numeric question's correct answer such as -3.5 or -5..-1 — are written
// as numbers, unguarded: they hold only digits, signs and points.
//
// Images stay references in the Markdown: a bank image is written as its
// URL, /media/{authority}/{name}, so a CSV export does not carry its
// images. Export QTI to take them along.
package itemcsv
