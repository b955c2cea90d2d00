package assess_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func collect(t *testing.T, x *assess.ExportStream) []int64 {
	t.Helper()
	var ids []int64
	for it, err := range x.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	return ids
}

func TestExportStreams(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		defer assess.SetExportPage(3)()
		ctx := context.Background()
		w := newWorld(t, db)
		var made []int64
		for i := range 8 {
			it := sample("Question " + string(rune('A'+i)))
			if i%2 == 1 {
				it.Tags.Topic = "science/physics"
			}
			got, err := w.bank.CreateItem(ctx, w.author, "HKCL", it)
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, got.ID)
		}
		if _, err := w.bank.CreateItem(ctx, w.otherAdmin, "NIOS", sample("Not HKCL's")); err != nil {
			t.Fatal(err)
		}

		t.Run("every item comes, oldest first, page after page, and again", func(t *testing.T) {
			x, err := w.bank.Export(ctx, w.grader, "HKCL", assess.ItemFilter{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(t, x); !slices.Equal(got, made) {
				t.Fatalf("exported %v, want %v", got, made)
			}
			if got := collect(t, x); !slices.Equal(got, made) {
				t.Fatalf("second pass %v, want %v", got, made)
			}
		})
		t.Run("items added during an export are left out, and shift nothing", func(t *testing.T) {
			x, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for it, err := range x.All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.ID)
				if len(got) == 4 {
					if _, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample("Added meanwhile")); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !slices.Equal(got, made) {
				t.Fatalf("exported %v, want %v", got, made)
			}
		})
		t.Run("the filter picks, as the list does", func(t *testing.T) {
			x, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{Topic: "science", Text: "question"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{made[1], made[3], made[5], made[7]}
			if got := collect(t, x); !slices.Equal(got, want) {
				t.Fatalf("exported %v, want %v", got, want)
			}
		})
		t.Run("ids pick, sorted and once each", func(t *testing.T) {
			x, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{}, []int64{made[6], made[0], made[4], made[0], made[5], made[2]})
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{made[0], made[2], made[4], made[5], made[6]}
			if got := collect(t, x); !slices.Equal(got, want) {
				t.Fatalf("exported %v, want %v", got, want)
			}
		})
		t.Run("refusals come before anything is streamed", func(t *testing.T) {
			_, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{Topic: "history"}, nil)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{}, []int64{made[0], 999_999})
			wantKind(t, err, errs.NotFound)
			if !strings.Contains(err.Error(), "no item 999999") {
				t.Errorf("missing id: %v", err)
			}
			_, err = w.bank.Export(ctx, w.otherAdmin, "NIOS", assess.ItemFilter{}, []int64{made[0]})
			wantKind(t, err, errs.NotFound) // another authority's item
			_, err = w.bank.Export(ctx, w.learner, "HKCL", assess.ItemFilter{}, nil)
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.Export(ctx, w.otherAdmin, "HKCL", assess.ItemFilter{}, nil)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{Status: "lost", Language: "fr"}, nil)
			wantKind(t, err, errs.Invalid)
			if f := errs.As(err).Fields; f["status"] == "" || f["language"] == "" {
				t.Errorf("fields %v", f)
			}
		})
	})
}

// pngOf makes a real PNG image.
func pngOf(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readMedia(t *testing.T, bank *assess.Service, p *identity.Principal, url string) []byte {
	t.Helper()
	code, name, ok := assess.ParseMediaURL(url)
	if !ok {
		t.Fatalf("%q is not a bank image URL", url)
	}
	rc, _, err := bank.Media(context.Background(), p, code, name)
	if err != nil {
		t.Fatalf("image %s: %v", url, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// A QTI export carries the bank's images and tags: imported into an empty
// authority it gives the same items, with images that work there.
func TestExportRoundTripWithImages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		defer assess.SetExportPage(2)()
		ctx := context.Background()
		w := newWorld(t, db)
		files, err := blob.NewLocal(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		w.bank.SetFiles(files)
		red, blue := pngOf(t, color.RGBA{R: 255, A: 255}), pngOf(t, color.RGBA{B: 255, A: 255})
		redURL, err := w.bank.AddMedia(ctx, w.author, "HKCL", red)
		if err != nil {
			t.Fatal(err)
		}
		blueURL, err := w.bank.AddMedia(ctx, w.author, "HKCL", blue)
		if err != nil {
			t.Fatal(err)
		}
		a := sample("Which is red? ![a red square](" + redURL + ")")
		a.Tags = assess.Tags{Topic: "art/colours", Difficulty: "hard", Bloom: "remember", Source: "Board paper 2024 Q3", Labels: []string{"colour", "रंग"}}
		a.Text["en"].Choices["A"] = "![blue](" + blueURL + ")"
		b := &assess.Item{Type: assess.Essay, Text: map[string]assess.Text{"en": {Stem: "Describe ![it](" + redURL + ") and ![this](https://cdn.example/x.png)."}},
			Scoring: assess.Scoring{Marks: 5}, Tags: assess.Tags{Labels: []string{"essay"}}}
		c := sample("No pictures")
		for _, it := range []*assess.Item{a, b, c} {
			if _, err := w.bank.CreateItem(ctx, w.author, "HKCL", it); err != nil {
				t.Fatal(err)
			}
		}
		for i, format := range []string{formats.QTI30, formats.QTI21} {
			t.Run(format, func(t *testing.T) {
				x, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				var pkg bytes.Buffer
				err = formats.WriteStream(&pkg, format, x.All(ctx), formats.WriteOptions{Media: func(ref string) (io.ReadCloser, error) { return x.OpenMedia(ctx, ref) }})
				if err != nil {
					t.Fatal(err)
				}
				zr, err := zip.NewReader(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()))
				if err != nil {
					t.Fatal(err)
				}
				var media []string
				for _, f := range zr.File {
					if strings.HasPrefix(f.Name, "media/") {
						media = append(media, f.Name)
					}
				}
				if len(media) != 2 {
					t.Errorf("the package's images: %v; want the two, once each", media)
				}

				// Import into a new, empty authority.
				code := []string{"EMPTYA", "EMPTYB"}[i]
				if _, err := w.ids.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code}); err != nil {
					t.Fatal(err)
				}
				u, err := w.ids.EnsureUser(ctx, "test", identity.NewUser{Email: "admin@" + strings.ToLower(code) + ".test", Name: "A", Roles: []identity.Role{identity.RoleAdmin}}, false, code)
				if err != nil {
					t.Fatal(err)
				}
				tok, _ := w.ids.StartSessionFor(ctx, u.ID, "test")
				admin, err := w.ids.Authenticate(ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				mi, err := w.bank.MediaImporter(ctx, admin, code)
				if err != nil {
					t.Fatal(err)
				}
				src, err := formats.Open(formats.QTI, bytes.NewReader(pkg.Bytes()), int64(pkg.Len()), formats.Options{Media: mi})
				if err != nil {
					t.Fatal(err)
				}
				rep, err := w.bank.Import(ctx, admin, code, src, assess.ImportOptions{AddTopics: true})
				if err != nil || !rep.Committed || rep.Imported != 3 {
					t.Fatalf("import: %v %+v", err, rep)
				}
				orig, back := listAll(t, w.bank, w.author, "HKCL"), listAll(t, w.bank, admin, code)
				moved := strings.NewReplacer("/media/HKCL/", "/media/"+code+"/")
				for j := range orig {
					o, g := orig[j], back[j]
					if want, got := moved.Replace(textOf(o)), textOf(g); got != want {
						t.Errorf("item %d came back as\n%s\nwant\n%s", o.ID, got, want)
					}
					if a, b := js(o.Tags), js(g.Tags); a != b {
						t.Errorf("item %d tags came back as %s, want %s", o.ID, b, a)
					}
				}
				// The images work in the new authority, and are the same.
				if got := readMedia(t, w.bank, admin, moved.Replace(redURL)); !bytes.Equal(got, red) {
					t.Error("the red image is not the same after the round trip")
				}
				if got := readMedia(t, w.bank, admin, moved.Replace(blueURL)); !bytes.Equal(got, blue) {
					t.Error("the blue image is not the same after the round trip")
				}
			})
		}

		t.Run("an image missing from the store fails the export, naming item and image", func(t *testing.T) {
			gone := "/media/HKCL/" + strings.Repeat("ab", 32) + ".png"
			d, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample("Broken ![x]("+gone+")"))
			if err != nil {
				t.Fatal(err)
			}
			x, err := w.bank.Export(ctx, w.author, "HKCL", assess.ItemFilter{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = formats.WriteStream(io.Discard, formats.QTI30, x.All(ctx), formats.WriteOptions{Media: func(ref string) (io.ReadCloser, error) { return x.OpenMedia(ctx, ref) }})
			want := "item " + itoa(d.ID) + ": image " + gone + ": it is not in the file store"
			if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want %q", err, want)
			}
		})
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// textOf is an item's content as the Hash sees it, readable.
func textOf(it assess.Item) string {
	b, _ := json.MarshalIndent(struct {
		Type    assess.ItemType
		Text    map[string]assess.Text
		Choices []assess.Choice
		Key     assess.Key
		Scoring assess.Scoring
	}{it.Type, it.Text, it.Choices, it.Key, it.Scoring}, "", " ")
	return string(b)
}

func listAll(t *testing.T, bank *assess.Service, p *identity.Principal, code string) []assess.Item {
	t.Helper()
	items, _, err := bank.ListItems(context.Background(), p, code, assess.ItemFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(items)
	return items
}
