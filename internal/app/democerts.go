package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
)

// demoIssuer is an authority of the certificates demo: its people, its
// certificate type and a batch of holders.
type demoIssuer struct {
	code, name        string
	admin, approver   demoUser
	typeCode, source  string
	def               certify.Definition
	csv               string
	exampleDocByStart string
}

func demoIssuers() []demoIssuer {
	return []demoIssuer{
		{
			code: "DEMO", name: "Demo Board of Education",
			admin:    demoUser{email: "admin@demo.vidya.test"},
			approver: demoUser{email: "approver@demo.vidya.test"},
			typeCode: "secondary", source: "Secondary School Examination, March 2026",
			def: certify.Definition{
				Name:           "Secondary School Certificate",
				Description:    "Awarded to candidates who pass the Secondary School Examination.",
				Achievement:    certify.AchievementDef{Name: "Secondary School Examination 2026", Description: "Passed the Secondary School Examination conducted by the Demo Board of Education", Criteria: "33% or more in the aggregate"},
				ValidityMonths: 0,
				Fields: []certify.FieldDef{
					{Name: "holder.name_hi", Label: "नाम (हिन्दी)", Type: rules.String, Required: true},
					{Name: "result.percent", Label: "Percentage", Type: rules.Number, Required: true},
					{Name: "result.division", Label: "Division", Type: rules.String, Required: true},
				},
				Rules: []certify.RuleDef{{Name: "pass mark", Expr: "result.percent >= 33.0", Message: "scored below the pass mark of 33%"}},
				Template: pdf.Template{Page: pdf.Page{Size: "A4", Orientation: "landscape"}, Elements: []pdf.Element{
					{Type: pdf.ElemRect, X: 8, Y: 8, Width: 281, Height: 194, Colour: "#1A3C6E", StrokeWidth: 3},
					{Type: pdf.ElemRect, X: 12, Y: 12, Width: 273, Height: 186, Colour: "#C89B3C", StrokeWidth: 1},
					{Type: pdf.ElemText, Text: "डेमो शिक्षा बोर्ड", X: 30, Y: 22, Width: 237, Size: 22, Weight: "bold", Align: "center", Colour: "#1A3C6E", Lang: "hi"},
					{Type: pdf.ElemText, Field: certify.FieldIssuer, X: 30, Y: 33, Width: 237, Size: 18, Weight: "bold", Align: "center", Colour: "#1A3C6E"},
					{Type: pdf.ElemText, Text: "प्रमाणपत्र · Secondary School Certificate", X: 30, Y: 47, Width: 237, Size: 16, Align: "center", Colour: "#7A5A12"},
					{Type: pdf.ElemText, Text: "This is to certify that", X: 30, Y: 64, Width: 237, Size: 13, Align: "center"},
					{Type: pdf.ElemText, Field: "holder.name_hi", X: 30, Y: 72, Width: 237, Size: 32, Weight: "bold", Align: "center", Shrink: true, MinSize: 16, Lang: "hi"},
					{Type: pdf.ElemText, Field: certify.FieldHolderName, X: 30, Y: 89, Width: 237, Size: 20, Align: "center", Shrink: true, MinSize: 12},
					{Type: pdf.ElemText, Field: certify.FieldAchievement, X: 40, Y: 104, Width: 217, Size: 14, Align: "center", Wrap: true, MaxLines: 2},
					{Type: pdf.ElemText, Field: "result.division", X: 40, Y: 122, Width: 217, Size: 14, Align: "center"},
					{Type: pdf.ElemText, Field: certify.FieldHolderID, X: 22, Y: 150, Width: 110, Size: 10},
					{Type: pdf.ElemText, Field: certify.FieldDocID, X: 22, Y: 156, Width: 110, Size: 10},
					{Type: pdf.ElemText, Field: certify.FieldIssuedOn, X: 22, Y: 162, Width: 110, Size: 10},
					{Type: pdf.ElemLine, X: 175, Y: 168, X2: 235, Y2: 168, StrokeWidth: 0.6},
					{Type: pdf.ElemText, Text: "परीक्षा नियंत्रक / Controller of Examinations", X: 160, Y: 170, Width: 90, Size: 9, Align: "center", Wrap: true, MaxLines: 2},
					{Type: pdf.ElemQR, X: 245, Y: 150, Size: 38},
				}},
			},
			csv: "holder.id,holder.name,holder.name_hi,result.percent,result.division\n" +
				"DEMO-26-0001,Aarav Sharma,आरव शर्मा,86.4,First Division with Distinction\n" +
				"DEMO-26-0002,Saniya Gupta,सानिया गुप्ता,72,First Division\n" +
				"DEMO-26-0003,Priya Nair,प्रिया नायर,58.5,Second Division\n" +
				"DEMO-26-0004,Rohan Verma,रोहन वर्मा,29,\n",
		},
		{
			code: "SKILL", name: "State Skill Development Mission",
			admin:    demoUser{email: "admin@skill.demo.vidya.test", name: "Kavita Joshi", roles: []identity.Role{identity.RoleAdmin}},
			approver: demoUser{email: "approver@skill.demo.vidya.test", name: "Imran Sheikh", roles: []identity.Role{identity.RoleApprover}},
			typeCode: "digital-literacy", source: "Digital literacy course, batch 42",
			def: certify.Definition{
				Name:           "Digital Literacy Course Certificate",
				Achievement:    certify.AchievementDef{Name: "Digital Literacy (60 hours)", Description: "Completed the 60-hour digital literacy course and its assessment", Kind: "CourseCompletion"},
				ValidityMonths: 36,
				Fields: []certify.FieldDef{
					{Name: "attendance", Label: "Attendance (0–1)", Type: rules.Number, Required: true},
					{Name: "result.grade", Label: "Grade", Type: rules.String, Required: true},
					{Name: "centre", Label: "Training centre", Type: rules.String, Required: true},
				},
				Rules: []certify.RuleDef{
					{Name: "attendance", Expr: "attendance >= 0.75", Message: "attended less than 75% of the sessions"},
					{Name: "grade", Expr: `result.grade in ["A", "B", "C"]`, Message: "did not pass the assessment"},
				},
				Template: pdf.Template{Page: pdf.Page{Size: "A4"}, Elements: []pdf.Element{
					{Type: pdf.ElemRect, X: 0, Y: 0, Width: 210, Height: 40, Fill: "#0B6E4F"},
					{Type: pdf.ElemText, Field: certify.FieldIssuer, X: 15, Y: 14, Width: 180, Size: 20, Weight: "bold", Colour: "#FFFFFF", Align: "center"},
					{Type: pdf.ElemText, Text: "राज्य कौशल विकास मिशन", X: 15, Y: 25, Width: 180, Size: 14, Colour: "#FFFFFF", Align: "center", Lang: "hi"},
					{Type: pdf.ElemText, Text: "Certificate of Completion", X: 15, Y: 60, Width: 180, Size: 26, Weight: "bold", Align: "center"},
					{Type: pdf.ElemText, Text: "awarded to", X: 15, Y: 78, Width: 180, Size: 12, Align: "center", Colour: "#555555"},
					{Type: pdf.ElemText, Field: certify.FieldHolderName, X: 15, Y: 88, Width: 180, Size: 28, Weight: "bold", Align: "center", Shrink: true, MinSize: 14},
					{Type: pdf.ElemText, Text: "for completing", X: 15, Y: 108, Width: 180, Size: 12, Align: "center", Colour: "#555555"},
					{Type: pdf.ElemText, Field: certify.FieldAchievement, X: 15, Y: 117, Width: 180, Size: 18, Align: "center", Wrap: true, MaxLines: 2},
					{Type: pdf.ElemText, Field: "centre", X: 15, Y: 135, Width: 180, Size: 12, Align: "center"},
					{Type: pdf.ElemText, Field: "result.grade", X: 15, Y: 145, Width: 180, Size: 12, Align: "center"},
					{Type: pdf.ElemQR, X: 80, Y: 190, Size: 50},
					{Type: pdf.ElemText, Field: certify.FieldDocID, X: 15, Y: 245, Width: 180, Size: 10, Align: "center"},
					{Type: pdf.ElemText, Field: certify.FieldVerifyURL, X: 15, Y: 251, Width: 180, Size: 9, Align: "center", Colour: "#0B6E4F"},
					{Type: pdf.ElemText, Field: certify.FieldValidUntil, X: 15, Y: 258, Width: 180, Size: 9, Align: "center"},
				}},
			},
			csv: "holder.id,holder.name,attendance,result.grade,centre\n" +
				"SK-42-017,मोहम्मद इरफ़ान,0.92,A,Pune Skill Centre\n" +
				"SK-42-018,Lakshmi Subramanian,0.81,B,Pune Skill Centre\n" +
				"SK-42-019,Gurpreet Kaur,0.60,A,Pune Skill Centre\n",
		},
	}
}

// loadDemoCerts gives two authorities their own signing keys, certificate
// types, rules and templates, and a batch each, made by the authority's
// administrator, approved by its approver and issued; running it again
// changes nothing.
func loadDemoCerts(ctx context.Context, id *identity.Service, svc *certify.Service) error {
	for _, is := range demoIssuers() {
		if _, err := id.EnsureAuthority(ctx, "demo", identity.NewAuthority{Code: is.code, Name: is.name}); err != nil {
			return err
		}
		for _, u := range []demoUser{is.admin, is.approver} {
			if u.name == "" {
				continue // a DEMO account, made by loadDemo
			}
			if _, err := id.EnsureUser(ctx, "demo", identity.NewUser{Email: u.email, Name: u.name, Password: DemoPassword, Roles: u.roles}, false, is.code); err != nil {
				return err
			}
		}
		admin, err := demoPrincipal(ctx, id, is.admin.email)
		if err != nil {
			return err
		}
		approver, err := demoPrincipal(ctx, id, is.approver.email)
		if err != nil {
			return err
		}
		if keys, err := svc.Keys(ctx, admin, is.code); err != nil {
			return err
		} else if len(keys) == 0 {
			if _, err := svc.RotateKey(ctx, admin, is.code); err != nil {
				return err
			}
		}
		if _, err := svc.Type(ctx, admin, is.code, is.typeCode); err == nil {
			continue // loaded before
		}
		if _, err := svc.SaveType(ctx, admin, is.code, is.typeCode, is.def); err != nil {
			return err
		}
		b, err := svc.CreateBatch(ctx, admin, is.code, certify.BatchInput{Type: is.typeCode, Source: is.source, CSV: strings.NewReader(is.csv)})
		if err != nil {
			return err
		}
		if _, err := svc.Decide(ctx, approver, is.code, b.ID, true, "Checked the samples against the result sheet."); err != nil {
			return err
		}
		if _, err := svc.IssueBatch(ctx, b.ID, nil); err != nil {
			return err
		}
	}
	return nil
}

// demoPrincipal signs a demo account in, for loading data as that person.
func demoPrincipal(ctx context.Context, id *identity.Service, email string) (*identity.Principal, error) {
	u, err := id.UserByEmail(ctx, identity.CommandLine(), email)
	if err != nil {
		return nil, err
	}
	tok, err := id.StartSessionFor(ctx, u.ID, "demo")
	if err != nil {
		return nil, err
	}
	return id.Authenticate(ctx, tok)
}

func printDemoCerts(ctx context.Context, w io.Writer, id *identity.Service, svc *certify.Service, baseURL string) {
	fmt.Fprintln(w, "Certificates: two authorities issue their own (maker-checker approved, signed, with a QR code):")
	for _, is := range demoIssuers() {
		admin, err := demoPrincipal(ctx, id, is.admin.email)
		if err != nil {
			continue
		}
		bs, err := svc.Batches(ctx, admin, is.code, 0, 1)
		if err != nil || len(bs) == 0 {
			continue
		}
		rows, err := svc.BatchRows(ctx, admin, is.code, bs[0].ID, certify.RowIssued, 0, 1)
		if err != nil || len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-6s %s/v/%s  (staff: %s and %s)\n", is.code, baseURL, rows[0].DocID, is.admin.email, is.approver.email)
	}
	fmt.Fprintln(w)
}
