// Package qti reads and writes IMS QTI items and content packages: QTI 2.1
// (namespace http://www.imsglobal.org/xsd/imsqti_v2p1) and QTI 3.0
// (http://www.imsglobal.org/xsd/imsqtiasi_v3p0, the same model spelled
// qti-kebab-case). ReadItem reads one assessmentItem document, ReadPackage
// a zip with imsmanifest.xml, item by item; WriteItem and WritePackage
// export. Every item read either becomes an assess.Item that passes
// Validate or a Parsed with an Err that names the problem, e.g.
// "item q17.xml: interaction graphicGapMatchInteraction is not supported".
//
// # Interactions
//
// An item must have exactly one interaction (anywhere in itemBody), whose
// responseIdentifier names a responseDeclaration.
//
//   - choiceInteraction, response cardinality single: SingleChoice; when
//     its two choices have the identifiers true and false: TrueFalse (the
//     labels True/False, सही/गलत are dropped so the runner labels them).
//     Cardinality multiple: MultipleResponse, maxChoices is
//     Item.MaxChoices (one at least the number of choices is no limit);
//     minChoices is not kept. simpleChoice@fixed is Choice.Fixed, @shuffle
//     is Item.Shuffle.
//   - textEntryInteraction, baseType float or integer: Numeric, the
//     correctResponse value exact; baseType string: ShortText, accepted
//     answers are the correctResponse values then the mapping's keys with
//     the highest mapped value. Under match_correct matching is exact
//     (case-sensitive, as QTI's match); under map_response it is
//     case-sensitive only if every accepted mapEntry is.
//   - extendedTextInteraction: Essay.
//   - orderInteraction (cardinality ordered): Ordering.
//   - matchInteraction with two simpleMatchSets and baseType directedPair:
//     Matching, the first set Left, the second Right; a left item paired
//     twice in correctResponse is refused.
//   - Anything else (hotspot, graphicGapMatch, slider, upload, drawing,
//     inlineChoice, gapMatch, hottext, associate, customInteraction,
//     portableCustomInteraction, …), or more than one interaction, is
//     refused by name. So are adaptive items, item templates
//     (templateDeclaration, printedVariable), shared stimuli, rubricBlock
//     and media objects in the body.
//
// # Scoring
//
// Marks default to the SCORE outcome's normalMaximum, else the MAXSCORE
// outcome's default value, else 1.
//
//   - match_correct (2.1 URI …/qti_v2p1/rptemplates/match_correct, 3.0 URI
//     …/v3p0/rptemplates/match_correct.xml, or the bare name), or no
//     responseProcessing at all: all or nothing for Marks.
//   - map_response (same three spellings): for choice and matching items,
//     Scoring.Weights from the mapping (mapKey → mappedValue; a matching
//     key "L R" becomes "L=R"), defaultValue → DefaultWeight; Marks is
//     normalMaximum, else upperBound, else the sum of positive weights; an
//     upperBound other than Marks is Upper; a lowerBound ≤ 0 is Penalty
//     (Vidya's default lower bound is −Penalty), one above 0 is Lower, and
//     with no lowerBound, Lower is the lowest sum the weights allow. A
//     single-choice or true/false mapping of exactly one positive entry on
//     the correct choice and a default ≤ 0 (bounds absent or equal to
//     those) is negative marking instead: Marks = the entry, Penalty =
//     −default (+4/−1 is {correct: 4}, defaultValue −1, lowerBound −1). A
//     numeric item's mapping is not used beyond its best value (Marks) and
//     default (Penalty). map_response on an ordering item is refused.
//   - Hand-written rules are understood when they are one responseCondition
//     of the form: optional "if isNull(RESPONSE) then SCORE = u", then "if
//     C then SCORE = a", optional "else SCORE = b", where C is
//     match(RESPONSE, correct), equal(RESPONSE, correct) with toleranceMode
//     exact or absolute (one tolerance, or two equal ones), or
//     and(gte(RESPONSE, min), lte(RESPONSE, max)); a = Marks, −b = Penalty,
//     u = Unanswered; tolerance → NumericKey.Tolerance, min/max → Range
//     (numeric items only). SCORE = mapResponse in the else branch (the
//     expanded map_response template) is map_response. Rules that only set
//     other outcomes (FEEDBACK) are ignored. Anything else is refused:
//     "custom responseProcessing is not supported …". A relative tolerance
//     is refused.
//   - Outcomes VIDYA_UNANSWERED (float), VIDYA_PARTIAL and
//     VIDYA_IGNORE_SPACES (boolean), as Vidya writes them, set
//     Scoring.Unanswered, Scoring.Partial and TextKey.IgnoreSpaces. Other
//     players declare and ignore them.
//
// # Text
//
// itemBody, prompt, choice and feedback content become Markdown: p, div
// and the like are paragraphs (blank line between), br a line break,
// strong/b **…**, em/i _…_, code `…`, h1–h6 #, ul/ol lists ("- ", "1. "),
// blockquote "> ", pre a fenced block, hr ---, a [text](url) for http,
// https and mailto links (text only otherwise), sub and sup Unicode (H₂O,
// x²) or TeX ($_{ij}$) for letters. img is ![alt](ref): an http(s) src is
// kept; a relative src in a package is resolved against the item's folder
// and must be a file in the package, and Options.Media turns it into the
// reference (with no Media, the package path is kept); data: and other
// schemes are refused. MathML is kept as TeX, from an annotation with a TeX
// encoding (application/x-tex and variants), else its alttext, as $…$
// ($$…$$ for display="block"); MathML with neither is refused ("MathML
// without a TeX annotation is not supported yet"). Tables become Markdown
// tables (first row the header, a caption a paragraph before) when no cell
// spans rows or columns and no cell has more than one line; others are
// refused. An inline textEntryInteraction is written "\_\_\_\_\_" in the
// stem; one alone in its paragraph leaves nothing. HTML white space is
// collapsed and Markdown's special characters in text are escaped
// (\* \_ \$ …), so text reads as written.
//
// What is dropped or changed in an item that is read is said in a note
// (assess.Parsed.Notes), once each: true/false labels dropped, minChoices
// (and an orderInteraction's minChoices or maxChoices short of every
// choice) not kept, a title cut to 200 characters, a link whose scheme is
// not http, https or mailto reduced to its text, u, s, del, strike, ins,
// mark, small, big and font formatting dropped, feedback that is not a
// choice's made part of the explanation, a patternMask not kept, and a
// numeric mapping's entries other than the correct value's not used.
// Documents Vidya wrote get no notes for their own labels and explanation.
//
// Documents Vidya wrote (toolName="Vidya") are read literally instead:
// their text is already Markdown, so it is kept as it is, escapes and
// white space included.
//
// feedbackInline, feedbackBlock and modalFeedback whose identifier is a
// choice become that choice's Text.Feedback; all other feedback (and
// feedback on items without choices) is joined into Text.Explanation.
//
// The language is the root's xml:lang (primary subtag: hi-IN → hi), else
// Options.Lang, else en; Vidya takes en and hi. title is Item.Title,
// identifier is Parsed.Ref. Items come back as drafts with ContentHash set.
//
// # Packages
//
// Resources are taken in manifest order (xml:base honoured). imsqti_item_*
// resources are items; imsqti_test_* (and assessment/section) resources get
// a Parsed with Err "… assessmentTest resources are not imported as items";
// other resources (webcontent: images, stylesheets) are fine when an item
// uses one of their files or depends on them, and otherwise get a Parsed
// Err after the items, so nothing is dropped silently. Zip entries not in
// the manifest are ignored. Every file a resource lists must be in the
// package.
//
// Tags come from an item resource's IEEE LOM metadata
// (<metadata><lom xmlns="http://ltsc.ieee.org/xsd/LOM">, any prefix), where
// LOM has a standard place for them: each general/keyword is a label (its
// first string); educational/difficulty (LOMv1.0: very easy, easy → easy;
// medium; difficult, very difficult → hard) the difficulty; the first
// relation of kind isbasedon gives the source (resource/description); a
// classification of purpose discipline whose taxonPath's source is "Vidya
// topics" gives the topic (the taxon ids joined by /), and one of purpose
// educational objective with source "Bloom's taxonomy (revised)" the Bloom
// level. Other tools' classifications and all other metadata are ignored; a
// difficulty, Bloom level, topic or label Vidya cannot take is an error on
// that resource, naming it.
//
// Bilingual items: a resource whose href is items/x.xml and which lists
// items/x.<lang>.xml as a further file is one item; each such companion
// is a full item document in another language, whose type, choices, key
// and scoring must equal the main document's, and whose text is added as
// that language.
//
// # Safety
//
// Input is untrusted. encoding/xml resolves no external entities, and any
// DOCTYPE is refused outright, so no entity can be defined (only XML's
// five, character references and HTML's named entities, a fixed table, are
// known). An item document may be at most MaxItemSize (2 MiB), nest 200
// deep and hold 200,000 nodes; the manifest is parsed streaming (64 MiB
// at most). A package may have MaxEntries (20,000) files and expand to
// MaxPackageSize (500 MiB) by its headers; bytes actually read are counted
// too, through a limited reader, and an entry may not read past its own
// limit (2 MiB items, 50 MiB media). An entry over 1 MiB that expands more
// than 200 times is refused as a likely zip bomb. Paths (hrefs, img src,
// entry names) are resolved with path.Clean and checked with fs.ValidPath;
// .., absolute paths and backslashes are refused with a precise message,
// and entries with such names are reported and never read. Malformed XML
// is reported with its line. A file that is not a zip, or has no
// imsmanifest.xml, or a malformed manifest, fails the whole read with an
// Invalid error.
//
// # Writing
//
// PackageWriter (and WritePackage, for a slice) writes
// items/vidya-item-<ID>.xml per item (QTI 3.0 or 2.1 names and namespace),
// with toolName="Vidya", in the item's primary language (en when present),
// plus items/vidya-item-<ID>.<lang>.xml for each other language as a
// further file of the resource (see Bilingual items), one item at a time
// straight into the zip; imsmanifest.xml is the zip's last entry, so a
// package of any size is written in one pass (archive/zip keeps only each
// entry's central-directory record, about 300 bytes, in memory). Scoring is written as standard as Vidya's model allows,
// so other players score alike:
//
//   - Single choice and true/false: match_correct when Marks is 1 and there
//     is no penalty; else map_response {correct: Marks}, defaultValue and
//     lowerBound −Penalty, upperBound Marks.
//   - Weights (choice and matching): map_response with the weights,
//     DefaultWeight, lowerBound Lower or −Penalty, upperBound Upper or Marks.
//   - Short text: map_response, every accepted answer mapped to Marks with
//     caseSensitive from the key, defaultValue −Penalty.
//   - Multiple response, ordering, matching and exact numeric: match_correct
//     when Marks is 1 with no penalty; else the rule "isNull → Unanswered,
//     match → Marks, else −Penalty". Numeric with a tolerance or range: the
//     same rule with equal (absolute tolerance) or gte/lte.
//   - SCORE's normalMaximum is Marks. Unanswered, Partial and IgnoreSpaces
//     go in the VIDYA_* outcomes.
//   - Feedback: modalFeedback outcomeIdentifier FEEDBACK identifier <choice>;
//     the explanation: modalFeedback outcomeIdentifier SOLUTION.
//
// Markdown is converted to XHTML where it reads back unchanged: paragraphs,
// line breaks, **strong**, _em_, `code`, images, $…$ and $$…$$ (MathML
// with the TeX as annotation and as mtext), flat "- " and "1. " lists,
// tables, headings, fenced code, quotes and rules. Each conversion is
// checked by reading it back; a block that would change is written as
// literal text instead, so WritePackage then ReadPackage gives items with
// the same Hash. Status and version are not exported.
//
// Tags are written as the resource's LOM metadata, in the places above:
// labels as general/keyword, difficulty as educational/difficulty (hard is
// LOM's difficult), source as relation isbasedon with a description, topic
// and Bloom level as classifications (discipline, source "Vidya topics", a
// taxon per path segment; educational objective, source "Bloom's taxonomy
// (revised)"). LOM is the metadata the IMS content packaging schema names
// for resources, so TAO reads it and other importers (Moodle's) skip it;
// QTI's own qtiMetadata has no place for tags.
//
// Images: with WriteOptions.Media, every image an item shows whose src is
// not an http or https URL (the bank's /media/{authority}/{name} URLs) is
// opened through Media and put in the package once, under media/ (its file
// name kept: bank images are named by their SHA-256), the item's XML
// pointing at ../media/<name> and the item's resource listing it as a file.
// ReadPackage with Options.Media stores those images in the importing
// authority, so a round trip keeps working images. An image Media cannot
// open fails the write with an error naming the item and the image. Web
// images are written as they are; so is every image without Media.
package qti
