package l10n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The completeness test reads the Go sources of internal/ and collects the
// messages a user can be shown: the formats of errs.E (third argument) and
// (*errs.Validation).Add (second), the Message and Fields values of
// errs.Error literals, and in the item readers and writers also the formats
// of fmt.Errorf, errors.New, their own printf-like helpers and the
// messages they return as strings.

// errsPath is the import path of the errors package.
const errsPath = "github.com/vidya-edu/vidya/internal/platform/errs"

// readerDirs are the item bank's readers and writers, relative to internal/,
// whose plain errors end up in import reports.
var readerDirs = []string{"assess/gift", "assess/aiken", "assess/itemcsv", "assess/qti", "assess/formats"}

// readerFiles are single files with the same standing.
var readerFiles = []string{"assess/textenc.go"}

// messages maps each message format found to where it was found.
type messages map[string][]string

func (m messages) add(fset *token.FileSet, pos token.Pos, msg string) {
	if msg == "" || !HasText(msg) {
		return
	}
	p := fset.Position(pos)
	m[msg] = append(m[msg], fmt.Sprintf("%s:%d", p.Filename, p.Line))
}

// moduleRoot finds the directory holding go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// scanMessages collects the messages of every package under root/internal.
func scanMessages(root string) (messages, error) {
	internal := filepath.Join(root, "internal")
	byDir := map[string][]string{}
	err := filepath.WalkDir(internal, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := messages{}
	fset := token.NewFileSet()
	msgFuncs := map[string]bool{}
	var all []*scanner
	var allFiles []*ast.File
	for dir, files := range byDir {
		rel, _ := filepath.Rel(internal, dir)
		rel = filepath.ToSlash(rel)
		var parsed []*ast.File
		for _, f := range files {
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				return nil, err
			}
			parsed = append(parsed, af)
		}
		wrappers := map[string]int{}
		if slices.Contains(readerDirs, rel) {
			for _, af := range parsed {
				findWrappers(af, wrappers)
			}
		}
		for i, af := range parsed {
			relFile := rel + "/" + filepath.Base(files[i])
			reader := slices.Contains(readerDirs, rel) || slices.Contains(readerFiles, relFile)
			s := &scanner{fset: fset, out: out, reader: reader, wrappers: wrappers, inErrs: rel == "platform/errs", errsName: importName(af, errsPath, "errs"), msgFuncs: msgFuncs}
			s.file(af)
			all, allFiles = append(all, s), append(allFiles, af)
		}
	}
	// Functions whose result became a message anywhere ("if msg :=
	// checkPassword(pw); msg != "" { v.Add("password", "%s", msg) }")
	// contribute the messages they return.
	for i, s := range all {
		for _, d := range allFiles[i].Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && msgFuncs[fd.Name.Name] {
				s.returns(fd, true)
			}
		}
	}
	return out, nil
}

// importName is the name a file uses for the package at path, or "".
func importName(f *ast.File, path, def string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return def
		}
	}
	return ""
}

// findWrappers records the functions and methods with a "format string,
// args ...any" pair: name -> index of the format parameter.
func findWrappers(f *ast.File, into map[string]int) {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		var names []string
		var types []ast.Expr
		for _, p := range fd.Type.Params.List {
			if len(p.Names) == 0 {
				names, types = append(names, ""), append(types, p.Type)
			}
			for _, n := range p.Names {
				names, types = append(names, n.Name), append(types, p.Type)
			}
		}
		for i := 0; i+1 < len(names); i++ {
			if isIdent(types[i], "string") && names[i] == "format" {
				if _, ok := types[i+1].(*ast.Ellipsis); ok && i+2 == len(names) {
					into[fd.Name.Name] = i
				}
			}
		}
	}
}

type scanner struct {
	fset     *token.FileSet
	out      messages
	reader   bool           // an item reader or writer
	wrappers map[string]int // the package's printf-like helpers
	inErrs   bool           // the errs package itself
	errsName string         // the file's name for package errs
	// msgFuncs collects the names of functions whose results are passed
	// to a message sink, for a second pass to read their returns.
	msgFuncs map[string]bool
}

func (s *scanner) file(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			s.call(x)
		case *ast.CompositeLit:
			s.composite(x)
		case *ast.FuncDecl:
			if s.reader {
				s.returns(x, false)
			}
		}
		return true
	})
}

// isErrs reports whether e names the errs package's identifier name.
func (s *scanner) isErrs(e ast.Expr, name string) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return s.inErrs && x.Name == name
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		return ok && s.errsName != "" && pkg.Name == s.errsName && x.Sel.Name == name
	}
	return false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isPkgFunc reports whether e is pkg.name (by the package's usual name).
func isPkgFunc(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, pkg) && sel.Sel.Name == name
}

// format collects a format argument; args are the arguments after it.
func (s *scanner) format(e ast.Expr, args ...ast.Expr) {
	if msg, ok := fold(e, true); ok {
		s.out.add(s.fset, e.Pos(), msg)
	}
	for _, a := range args {
		s.source(a)
	}
}

func (s *scanner) text(e ast.Expr) {
	if msg, ok := fold(e, false); ok {
		s.out.add(s.fset, e.Pos(), msg)
	}
	s.source(e)
}

// source notes the function a message argument came from, when it is a
// variable assigned from a call: msg := checkPassword(pw).
func (s *scanner) source(e ast.Expr) {
	id, ok := e.(*ast.Ident)
	if !ok || id.Obj == nil || id.Obj.Kind != ast.Var {
		return
	}
	as, ok := id.Obj.Decl.(*ast.AssignStmt)
	if !ok || len(as.Rhs) == 0 {
		return
	}
	call, ok := as.Rhs[len(as.Rhs)-1].(*ast.CallExpr)
	if len(as.Rhs) > 1 {
		for i, l := range as.Lhs {
			if isIdent(l, id.Name) && i < len(as.Rhs) {
				call, ok = as.Rhs[i].(*ast.CallExpr)
			}
		}
	}
	if !ok {
		return
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		s.msgFuncs[f.Name] = true
	case *ast.SelectorExpr:
		if !isIdent(f.X, "fmt") && !isIdent(f.X, "strings") && !isIdent(f.X, "strconv") {
			s.msgFuncs[f.Sel.Name] = true
		}
	}
}

func (s *scanner) call(c *ast.CallExpr) {
	switch {
	case s.isErrs(c.Fun, "E") && len(c.Args) >= 3:
		s.format(c.Args[2], c.Args[3:]...)
		return
	case s.reader && isPkgFunc(c.Fun, "fmt", "Errorf") && len(c.Args) >= 1:
		s.format(c.Args[0], c.Args[1:]...)
		return
	case s.reader && isPkgFunc(c.Fun, "errors", "New") && len(c.Args) == 1:
		s.text(c.Args[0])
		return
	}
	if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && len(c.Args) >= 2 && s.isValidation(sel.X) {
		s.format(c.Args[1], c.Args[2:]...)
		return
	}
	if s.reader {
		name := ""
		switch f := c.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			name = f.Sel.Name
		}
		if i, ok := s.wrappers[name]; ok && i < len(c.Args) {
			s.format(c.Args[i], c.Args[i+1:]...)
		}
	}
}

// isValidation reports whether e is a variable of type errs.Validation or
// *errs.Validation, judged by its declaration in the same file.
func (s *scanner) isValidation(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok || id.Obj == nil || id.Obj.Kind != ast.Var {
		return false
	}
	isType := func(t ast.Expr) bool {
		if st, ok := t.(*ast.StarExpr); ok {
			t = st.X
		}
		return s.isErrs(t, "Validation")
	}
	isValue := func(v ast.Expr) bool {
		if u, ok := v.(*ast.UnaryExpr); ok && u.Op == token.AND {
			v = u.X
		}
		cl, ok := v.(*ast.CompositeLit)
		return ok && isType(cl.Type)
	}
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		return isType(d.Type)
	case *ast.ValueSpec:
		if d.Type != nil {
			return isType(d.Type)
		}
		for i, n := range d.Names {
			if n.Name == id.Name && i < len(d.Values) {
				return isValue(d.Values[i])
			}
		}
	case *ast.AssignStmt:
		for i, l := range d.Lhs {
			if isIdent(l, id.Name) && i < len(d.Rhs) {
				return isValue(d.Rhs[i])
			}
		}
	}
	return false
}

func (s *scanner) composite(cl *ast.CompositeLit) {
	if s.isErrs(cl.Type, "Error") {
		for _, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch {
			case isIdent(kv.Key, "Message"):
				s.text(kv.Value)
			case isIdent(kv.Key, "Fields"):
				if m, ok := kv.Value.(*ast.CompositeLit); ok {
					for _, fe := range m.Elts {
						if fkv, ok := fe.(*ast.KeyValueExpr); ok {
							s.text(fkv.Value)
						}
					}
				}
			}
		}
		return
	}
	// A reader's own error types carry their message in a msg field.
	if s.reader {
		for _, el := range cl.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "msg") {
				s.text(kv.Value)
			}
		}
	}
}

// returns collects the messages a function returns as its last, string
// result: in a reader, those returned beside a value (func parse(s string)
// (*Key, string)) and those its error types' Error methods write; anywhere,
// those of a function whose result was seen becoming a message (known).
func (s *scanner) returns(fd *ast.FuncDecl, known bool) {
	res := fd.Type.Results
	if res == nil || fd.Body == nil {
		return
	}
	var types []ast.Expr
	for _, f := range res.List {
		n := max(len(f.Names), 1)
		for range n {
			types = append(types, f.Type)
		}
	}
	isError := fd.Recv != nil && fd.Name.Name == "Error" && len(types) == 1 && isIdent(types[0], "string")
	last := len(types) - 1
	switch {
	case isError:
	case known && isIdent(types[last], "string"):
	case len(types) >= 2 && isIdent(types[last], "string"):
	default:
		return
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		r, ok := n.(*ast.ReturnStmt)
		if !ok || len(r.Results) != len(types) {
			return true
		}
		// A returned string is a message when it has words: ".zip" beside
		// a content type is not.
		e := r.Results[last]
		if c, ok := e.(*ast.CallExpr); ok && isPkgFunc(c.Fun, "fmt", "Sprintf") && len(c.Args) >= 1 {
			if msg, ok := fold(c.Args[0], true); ok && strings.Contains(msg, " ") {
				s.out.add(s.fset, c.Args[0].Pos(), msg)
			}
		} else if msg, ok := fold(e, false); ok && strings.Contains(msg, " ") && msg != "%s" {
			if _, lit := e.(*ast.BasicLit); lit {
				s.out.add(s.fset, e.Pos(), msg)
			}
		}
		return true
	})
}

// fold works out the format a message expression produces. A string
// literal is a format when asFormat, else text (its % signs are doubled).
// In text, fmt.Sprintf(literal, …) contributes its format and any other
// expression an argument (%s). A format that is not a literal cannot be
// known: fold reports false.
func fold(e ast.Expr, asFormat bool) (string, bool) {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return fold(x.X, asFormat)
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			break
		}
		s, err := strconv.Unquote(x.Value)
		if err != nil {
			return "", false
		}
		if !asFormat {
			s = strings.ReplaceAll(s, "%", "%%")
		}
		return s, true
	case *ast.Ident:
		if x.Obj != nil && x.Obj.Kind == ast.Con {
			if vs, ok := x.Obj.Decl.(*ast.ValueSpec); ok {
				for i, n := range vs.Names {
					if n.Name == x.Name && i < len(vs.Values) {
						return fold(vs.Values[i], asFormat)
					}
				}
			}
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			// Text joined to a format at run time is an argument to the
			// reader, even when the whole is used as a format.
			a, okA := fold(x.X, asFormat)
			if !okA {
				a = "%s"
			}
			b, okB := fold(x.Y, asFormat)
			if !okB {
				b = "%s"
			}
			if okA || okB {
				return a + b, true
			}
		}
	case *ast.CallExpr:
		if !asFormat && isPkgFunc(x.Fun, "fmt", "Sprintf") && len(x.Args) >= 1 {
			if f, ok := fold(x.Args[0], true); ok {
				return f, true
			}
		}
	}
	if asFormat {
		return "", false
	}
	return "%s", true
}
