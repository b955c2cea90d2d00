// Package rules checks certificate data before anything is issued: each
// certificate type of an authority has a schema (the fields a certificate
// needs) and rules (conditions every record must meet), written by the
// authority's admins.
//
// The Go side is small: ValidateSchema checks the fields, Coerce turns a
// CSV row into a typed Record, Compile turns the rules into a RuleSet,
// RuleSet.Evaluate checks one record, and DryRun checks a whole batch and
// reports every rejected row (WriteReportCSV writes the report for a
// spreadsheet). The rest of this comment is for admins: it explains the
// fields and the rule language, and is shown as help in the admin pages.
//
// # Fields
//
// Each field has a name, a label and a type. The name is how files and
// rules refer to the field. It is written in lower-case letters, digits
// and _, and may have up to three parts joined by dots to group related
// fields: candidate.name, candidate.dob, result.percent, attendance. The
// label is the field's name for people ("Date of birth").
//
// A field has one of five types:
//
//	string   text                          Asha Verma
//	number   a number, possibly decimal    72.5
//	integer  a whole number                72
//	bool     yes or no                     yes, no, true, false, 1, 0
//	date     a calendar day                2008-03-05, 05-03-2008, 05/03/2008
//
// Dates are read day first when the year comes last, as in India:
// 05/03/2008 is 5 March 2008. The day and month may have one digit
// (5/3/2008). Days that do not exist, such as 30-02-2025, are refused.
// Numbers use a point for decimals (72.5); a comma (72,5) is refused.
//
// A required field must have a value in every row. An optional field
// may be left empty; see "Empty fields" below.
//
// # Rules
//
// A rule has a name, a condition and a message. The condition is an
// expression that is true when a record is acceptable; the message is
// what you see next to each record that fails it. For example:
//
//	name:      pass mark
//	condition: result.percent >= 40
//	message:   scored below the pass mark of 40%
//
// Conditions are written in CEL, the Common Expression Language. The
// parts you need most:
//
//	result.percent >= 40                 compare: == != < <= > >=
//	result.percent >= 40 && attendance >= 0.75    both must hold (and)
//	result.grade == "A" || result.grade == "B"    either may hold (or)
//	!candidate.repeater                  not
//	result.grade in ["A", "B", "C"]      one of a list
//	candidate.name != ""                 text is compared in double quotes
//	(result.theory + result.practical) / 2.0 >= 33.0    arithmetic: + - * / %
//	result.percent >= 90 ? result.grade == "A" : true   if ... then ... else
//
// Names are the field names exactly; a misspelt name or a comparison of
// a number with text is reported when you save the rule, with the line
// and column of the mistake.
//
// Numbers and integers can be compared with < <= > >= (result.percent >=
// 40 works whether percent is a number or an integer). For == != in and
// arithmetic the two sides must be the same kind: next to a number field
// write whole numbers with a decimal point (result.percent == 100.0,
// result.percent + 5.0), next to an integer field without one
// (result.rank == 1), or convert with double(result.rank) or
// int(result.percent).
//
// # Text
//
//	size(candidate.name) >= 3            length in characters
//	candidate.roll_no.startsWith("MH")   also endsWith, contains
//	candidate.roll_no.matches("^[A-Z]{2}[0-9]{8}$")   a regular expression
//	candidate.name.trim() != ""          also lowerAscii(), upperAscii()
//	candidate.email.indexOf("@") > 0     also substring(), replace(), split()
//
// # Dates
//
// A date field is compared with other dates, with today, or with a date
// written as date("YYYY-MM-DD"):
//
//	candidate.dob < date("2012-04-01")   born before 1 April 2012
//	result.declared <= today             not in the future
//	age(candidate.dob) >= 14             at least 14 years old today
//	age(candidate.dob, date("2025-03-31")) >= 14   at least 14 on 31 March 2025
//	candidate.dob.getFullYear() >= 2005  the year of a date
//
// age counts whole years as birthdays do: someone born on 29 February
// becomes a year older on 1 March in other years. "today" is the day the
// check runs on (a dry run can be run as of another day, to see how the
// rules will judge the batch on the day of issue).
//
// # Empty fields
//
// An optional field left empty has no value. has() tells whether a field
// has one:
//
//	has(candidate.email)                 true when the email was given
//	has(attendance)                      also for names without a dot
//	!has(candidate.dob) || age(candidate.dob) >= 14   only check the age if given
//
// An empty field reads as "" if it is text, 0 if it is a number or an
// integer, and false if it is yes/no. An empty date has no such stand-in:
// a rule that uses an empty date without asking has() first fails for
// that record, with a message saying so.
//
// # Limits
//
// A condition may be up to 2,000 characters long, a certificate type may
// have up to 50 rules and 200 fields. Each rule may do a bounded amount of
// work on each record (enough for any ordinary condition); a rule that
// needs more, such as a deep loop over lists, fails for the record
// instead of slowing the whole batch. A rule that cannot be worked out
// for a record (it divides by zero, or uses an empty date) also fails for
// that record, with a message saying why.
package rules
