package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// How a schema becomes CEL types.
//
// The dotted names of a schema form a tree. Each inner node ("candidate",
// "result", "candidate.address") becomes a CEL struct type whose fields are
// the node's children; the root is a struct type too, so has() can test
// top-level fields. The types are registered with the environment as
// types.StructTypeDescriptor values, so the checker knows every field and
// its type: a misspelt field is "undefined field" and a comparison of a
// number with a string has no overload, both at compile time.
//
// At run time a record is reached through an activation (one per
// evaluation, pooled) that holds the record and one pre-built object per
// struct type; reading a field is a map lookup of its full dotted name, and
// the CEL value was built when the record was, so evaluation allocates
// nothing for field access.

// typePrefix starts the CEL names of the schema's struct types. Field names
// are lower case, so no field can collide with it.
const typePrefix = "Vidya"

// Hidden names that macros expand to. "@" cannot start an identifier in
// source text, so a rule cannot write them.
const (
	rootVar  = "@record" // the whole record, for has() on top-level fields
	todayVar = "@today"  // the date of evaluation, for age(dob)
)

// node is one name in the schema tree.
type node struct {
	name     string // its last part: "percent"
	path     string // the full dotted name: "result.percent"
	leaf     bool
	typ      Type     // a leaf's type
	obj      *objType // an inner node's struct type
	celType  *types.Type
	zero     ref.Val // what an absent leaf reads as; nil for dates
	absent   error   // the error an absent date gives
	children []*node
}

// objType is the CEL struct type of an inner node of the schema tree.
type objType struct {
	index   int // in schemaTypes.objs
	name    string
	celType *types.Type
	node    *node
	names   []string
	fields  map[string]*types.FieldType
	leaves  []*node // every leaf below, for presence tests
}

var _ types.StructTypeDescriptor = (*objType)(nil)

// HasTrait reports the traits of a struct: field testing and indexing.
func (t *objType) HasTrait(trait int) bool { return t.celType.HasTrait(trait) }

// TypeName returns the CEL type name, such as "Vidya.candidate".
func (t *objType) TypeName() string { return t.name }

// ReflectType returns nil: the type has no Go struct behind it.
func (t *objType) ReflectType() reflect.Type { return nil }

// FieldNames returns the names of the type's fields.
func (t *objType) FieldNames() []string { return t.names }

// FindFieldType returns a field's type and accessors.
func (t *objType) FindFieldType(name string) (*types.FieldType, bool) {
	ft, ok := t.fields[name]
	return ft, ok
}

// NewValue refuses: rules read records, they do not build them.
func (t *objType) NewValue(types.Adapter, map[string]ref.Val) ref.Val {
	return types.NewErr("rules cannot create %s values", t.name)
}

// Adapt passes through objects of this type and refuses anything else.
func (t *objType) Adapt(_ types.Adapter, value any) ref.Val {
	if o, ok := value.(*object); ok && o.t == t {
		return o
	}
	return types.NewErr("cannot use %T as %s", value, t.name)
}

// schemaTypes is a schema turned into CEL types.
type schemaTypes struct {
	root *node
	objs []*objType // objs[0] is the root's type
	top  map[string]*node
}

// buildTypes turns a valid schema into its tree of CEL types.
func buildTypes(schema []Field) *schemaTypes {
	st := &schemaTypes{root: &node{}, top: map[string]*node{}}
	for _, f := range schema {
		n := st.root
		segs := strings.Split(f.Name, ".")
		for i, seg := range segs {
			var child *node
			for _, c := range n.children {
				if c.name == seg {
					child = c
					break
				}
			}
			if child == nil {
				child = &node{name: seg, path: strings.Join(segs[:i+1], ".")}
				n.children = append(n.children, child)
			}
			n = child
		}
		n.leaf, n.typ = true, f.Type
	}
	st.addObj(st.root)
	for _, c := range st.root.children {
		st.top[c.name] = c
	}
	return st
}

// addObj makes n and the inner nodes below it struct types, and sets the
// CEL type of every node.
func (st *schemaTypes) addObj(n *node) *objType {
	name := typePrefix
	if n.path != "" {
		name += "." + n.path
	}
	ot := &objType{index: len(st.objs), name: name, node: n, fields: map[string]*types.FieldType{}}
	ot.celType = types.NewObjectType(name, traits.FieldTesterType|traits.IndexerType)
	n.obj, n.celType = ot, ot.celType
	st.objs = append(st.objs, ot)
	for _, c := range n.children {
		ot.names = append(ot.names, c.name)
		if c.leaf {
			c.celType = celTypeOf(c.typ)
			c.zero = zeroOf(c.typ)
			if c.zero == nil {
				c.absent = errs.E(errs.Invalid, "", "%s is empty; test has(%s) before using it", c.path, c.path)
			}
			ot.leaves = append(ot.leaves, c)
			ot.fields[c.name] = leafField(c)
			continue
		}
		child := st.addObj(c)
		ot.leaves = append(ot.leaves, child.leaves...)
		ot.fields[c.name] = objField(c)
	}
	return ot
}

// celTypeOf returns the CEL type of a field type.
func celTypeOf(t Type) *types.Type {
	switch t {
	case Number:
		return types.DoubleType
	case Integer:
		return types.IntType
	case Bool:
		return types.BoolType
	case Date:
		return types.TimestampType
	}
	return types.StringType
}

// leafField gives CEL the accessors of a field holding a value.
func leafField(n *node) *types.FieldType {
	return &types.FieldType{
		Type: n.celType,
		IsSet: func(target any) bool {
			o, ok := target.(*object)
			return ok && o.a.present(n)
		},
		GetFrom: func(target any) (any, error) {
			o, ok := target.(*object)
			if !ok {
				return nil, fmt.Errorf("cannot read %s from %T", n.path, target)
			}
			return o.a.leaf(n)
		},
	}
}

// objField gives CEL the accessors of a field holding an object.
func objField(n *node) *types.FieldType {
	return &types.FieldType{
		Type: n.celType,
		IsSet: func(target any) bool {
			o, ok := target.(*object)
			return ok && o.a.anyPresent(n.obj)
		},
		GetFrom: func(target any) (any, error) {
			o, ok := target.(*object)
			if !ok {
				return nil, fmt.Errorf("cannot read %s from %T", n.path, target)
			}
			return &o.a.objs[n.obj.index], nil
		},
	}
}

// activation gives a program the record under evaluation. One is used by
// one evaluation at a time; RuleSet pools them.
type activation struct {
	st    *schemaTypes
	rec   Record
	today ref.Val
	objs  []object // one per struct type, objs[i].t == st.objs[i]
}

func newActivation(st *schemaTypes) *activation {
	a := &activation{st: st, objs: make([]object, len(st.objs))}
	for i, t := range st.objs {
		a.objs[i] = object{t: t, a: a}
	}
	return a
}

// ResolveName returns the value of a top-level name.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case Today, todayVar:
		return a.today, true
	case rootVar:
		return &a.objs[0], true
	}
	n, ok := a.st.top[name]
	if !ok {
		return nil, false
	}
	if !n.leaf {
		return &a.objs[n.obj.index], true
	}
	v, err := a.leaf(n)
	if err != nil {
		return types.WrapErr(err), true
	}
	return v, true
}

// Parent returns nil: an activation stands alone.
func (a *activation) Parent() interpreter.Activation { return nil }

// leaf returns a leaf's value in the record.
func (a *activation) leaf(n *node) (ref.Val, error) {
	v, ok := a.rec[n.path]
	if !ok || !v.present {
		if n.zero == nil {
			return nil, n.absent
		}
		return n.zero, nil
	}
	if v.typ != n.typ {
		// Only a record built by hand can get here; Coerce follows the
		// schema.
		return nil, errs.E(errs.Invalid, "", "%s holds a %s, not a %s", n.path, v.Type(), n.typ)
	}
	return v.val, nil
}

// present reports whether a leaf has a value in the record.
func (a *activation) present(n *node) bool {
	v, ok := a.rec[n.path]
	return ok && v.present
}

// anyPresent reports whether any leaf under t has a value.
func (a *activation) anyPresent(t *objType) bool {
	return slices.ContainsFunc(t.leaves, a.present)
}

// object is a record's value for one struct type: the whole record (the
// root) or one group of fields ("candidate").
type object struct {
	t *objType
	a *activation
}

var (
	_ ref.Val            = (*object)(nil)
	_ traits.Indexer     = (*object)(nil)
	_ traits.FieldTester = (*object)(nil)
)

// ConvertToNative refuses: objects do not leave a rule.
func (o *object) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", o.t.name, typeDesc)
}

// ConvertToType converts to the object's own type or to its type value.
func (o *object) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal.TypeName() {
	case types.TypeType.TypeName():
		return o.t.celType
	case o.t.name:
		return o
	}
	return types.NewErr("type conversion error from %s to %s", o.t.name, typeVal.TypeName())
}

// Equal reports whether other is an object of the same type whose fields
// are all equal.
func (o *object) Equal(other ref.Val) ref.Val {
	p, ok := other.(*object)
	if !ok || p.t != o.t {
		return types.False
	}
	for _, n := range o.t.leaves {
		x, errX := o.a.leaf(n)
		y, errY := p.a.leaf(n)
		switch {
		case errX != nil || errY != nil:
			if (errX == nil) != (errY == nil) {
				return types.False
			}
		case x.Equal(y) != types.True:
			return types.False
		}
	}
	return types.True
}

// Type returns the object's CEL type.
func (o *object) Type() ref.Type { return o.t.celType }

// Value returns the object itself, which field accessors take.
func (o *object) Value() any { return o }

// Get returns the field named by index.
func (o *object) Get(index ref.Val) ref.Val {
	name, ok := index.(types.String)
	if !ok {
		return types.ValOrErr(index, "no such overload")
	}
	ft, ok := o.t.fields[string(name)]
	if !ok {
		return types.NewErr("no such field: %s", string(name))
	}
	v, err := ft.GetFrom(o)
	if err != nil {
		return types.WrapErr(err)
	}
	return v.(ref.Val)
}

// IsSet reports whether the field named by field has a value.
func (o *object) IsSet(field ref.Val) ref.Val {
	name, ok := field.(types.String)
	if !ok {
		return types.ValOrErr(field, "no such overload")
	}
	ft, ok := o.t.fields[string(name)]
	if !ok {
		return types.NewErr("no such field: %s", string(name))
	}
	return types.Bool(ft.IsSet(o))
}
