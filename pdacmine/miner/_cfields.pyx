# cython: language_level=3, boundscheck=False, wraparound=False
"""C-speed versions of the hottest field readers of :mod:`pdacmine.miner.pubmed_fields`.

They read libxml2's tree under lxml's elements directly (lxml's public Cython API), so a
record's ~100 author, MeSH and abstract elements cost no Python element proxies. Each function
returns exactly what its pure-Python twin in ``pubmed_fields`` returns (``tests/test_parse.py``
checks both on the same XML); ``pubmed_fields`` uses these when the extension is built and
falls back to its own code otherwise.

Only element and text nodes are read. A subtree holding anything else (an unresolved entity
reference, say) makes the function return ``None`` and the caller uses the Python version.
"""

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes.tree cimport (
    XML_CDATA_SECTION_NODE,
    XML_ELEMENT_NODE,
    XML_TEXT_NODE,
    xmlAttr,
    xmlNode,
)

cetree.import_lxml__etree()


class Unsupported(Exception):
    """The subtree has a node these readers do not handle; use the Python version."""


cdef inline xmlNode* _node(object el):
    return (<cetree._Element>el)._c_node


cdef inline bint _is(xmlNode* node, const char* name):
    return node.type == XML_ELEMENT_NODE and node.ns is NULL and strcmp(<const char*>node.name, name) == 0


cdef Py_ssize_t _measure(xmlNode* node) except -1:
    """Bytes of text under ``node``; raises Unsupported for a node that is neither element nor text."""
    cdef Py_ssize_t n = 0
    cdef xmlNode* child = node.children
    while child is not NULL:
        if child.type == XML_TEXT_NODE or child.type == XML_CDATA_SECTION_NODE:
            if child.content is not NULL:
                n += strlen(<char*>child.content)
        elif child.type == XML_ELEMENT_NODE:
            n += _measure(child)
        else:
            raise Unsupported()
        child = child.next
    return n


cdef char* _fill(xmlNode* node, char* dst):
    """Copy the text under ``node`` (document order) to ``dst``; returns the end."""
    cdef xmlNode* child = node.children
    cdef size_t n
    while child is not NULL:
        if child.type == XML_TEXT_NODE or child.type == XML_CDATA_SECTION_NODE:
            if child.content is not NULL:
                n = strlen(<char*>child.content)
                memcpy(dst, child.content, n)
                dst += n
        elif child.type == XML_ELEMENT_NODE:
            dst = _fill(child, dst)
        child = child.next
    return dst


cdef inline bint _ascii_ws(unsigned char c):
    return c == 32 or c == 9 or c == 10 or c == 13


cdef inline bint _maybe_space(unsigned char c):
    """Bytes that may start or end a character str.strip() removes, other than space, tab, CR, LF."""
    return c >= 0x80 or c == 0x0b or c == 0x0c or 0x1c <= c <= 0x1f


cdef str _decode_collapsed(const unsigned char* src, Py_ssize_t n, unsigned char* dst):
    """``src`` with runs of ASCII white space as one space, stripped like str.strip(), decoded."""
    cdef Py_ssize_t i, j = 0
    cdef bint in_ws = True  # drops leading white space
    for i in range(n):
        if _ascii_ws(src[i]):
            if not in_ws:
                dst[j] = 32
                j += 1
                in_ws = True
        else:
            dst[j] = src[i]
            j += 1
            in_ws = False
    if j and dst[j - 1] == 32:
        j -= 1
    if j == 0:
        return ""
    text = PyUnicode_DecodeUTF8(<char*>dst, j, NULL)
    if _maybe_space(dst[0]) or _maybe_space(dst[j - 1]):
        return text.strip()
    return text


cdef str _text(xmlNode* node):
    """``pubmed_fields.text_of``: all text inside, runs of ASCII white space as one space, stripped."""
    cdef xmlNode* child = node.children
    cdef Py_ssize_t n
    cdef unsigned char small[512]
    cdef unsigned char* src
    cdef unsigned char* dst
    if child is NULL:
        return ""
    if child.next is NULL and child.type == XML_TEXT_NODE:  # a leaf: read its one text node in place
        if child.content is NULL:
            return ""
        n = strlen(<char*>child.content)
        if n <= 512:
            return _decode_collapsed(child.content, n, small)
        dst = <unsigned char*>malloc(n)
        if dst is NULL:
            raise MemoryError()
        try:
            return _decode_collapsed(child.content, n, dst)
        finally:
            free(dst)
    n = _measure(node)
    src = <unsigned char*>malloc(2 * n + 1)
    if src is NULL:
        raise MemoryError()
    try:
        _fill(node, <char*>src)
        return _decode_collapsed(src, n, src + n)
    finally:
        free(src)


cdef object _attr(xmlNode* node, const char* name):
    """An attribute's value (None when absent), like ``element.get(name)``."""
    cdef xmlAttr* attr = node.properties
    cdef xmlNode* child
    while attr is not NULL:
        if attr.ns is NULL and strcmp(<const char*>attr.name, name) == 0:
            child = attr.children
            if child is NULL:
                return ""
            if child.next is NULL and child.type == XML_TEXT_NODE and child.content is not NULL:
                return PyUnicode_DecodeUTF8(<char*>child.content, strlen(<char*>child.content), NULL)
            parts = []
            while child is not NULL:
                if child.type != XML_TEXT_NODE:
                    raise Unsupported()
                if child.content is not NULL:
                    parts.append(PyUnicode_DecodeUTF8(<char*>child.content, strlen(<char*>child.content), NULL))
                child = child.next
            return "".join(parts)
        attr = attr.next
    return None


cdef xmlNode* _element(xmlNode* node) except? NULL:
    """``node`` or the first element after it (NULL at the end), stepping over text; Unsupported for
    any other node (what lxml would iterate over as an entity, comment or PI)."""
    while node is not NULL:
        if node.type == XML_ELEMENT_NODE:
            return node
        if node.type != XML_TEXT_NODE and node.type != XML_CDATA_SECTION_NODE:
            raise Unsupported()
        node = node.next
    return NULL


cdef inline xmlNode* _first(object el) except? NULL:
    return _element(_node(el).children)


cdef dict _author(xmlNode* au):
    last = fore = initials = collective = orcid = None
    affiliations = []
    cdef xmlNode* child = _element(au.children)
    cdef xmlNode* aff
    while child is not NULL:
        if _is(child, b"LastName"):
            last = _text(child) or None
        elif _is(child, b"ForeName"):
            fore = _text(child) or None
        elif _is(child, b"Initials"):
            initials = _text(child) or None
        elif _is(child, b"AffiliationInfo"):
            aff = _element(child.children)
            while aff is not NULL:
                if _is(aff, b"Affiliation") and (value := _text(aff)):
                    affiliations.append(value)
                aff = _element(aff.next)
        elif _is(child, b"CollectiveName"):
            collective = _text(child) or None
        elif _is(child, b"Affiliation"):  # pre-2015 DTDs
            if value := _text(child):
                affiliations.append(value)
        elif _is(child, b"Identifier") and orcid is None and (_attr(child, b"Source") or "").upper() == "ORCID":
            orcid = _text(child) or None
        child = _element(child.next)
    return {
        "last": last,
        "fore": fore,
        "initials": initials,
        "collective": collective,
        "affiliations": affiliations,
        "orcid": orcid,
    }


def authors(author_list):
    """``pubmed_fields.authors``; None when the subtree needs the Python version."""
    if author_list is None:
        return []
    cdef xmlNode* au
    out = []
    try:
        au = _first(author_list)
        while au is not NULL:
            if _is(au, b"Author") and _attr(au, b"ValidYN") != "N":
                out.append(_author(au))
            au = _element(au.next)
    except Unsupported:
        return None
    return out


cdef dict _mesh_entry(xmlNode* node):
    return {"ui": _attr(node, b"UI"), "name": _text(node), "major": _attr(node, b"MajorTopicYN") == "Y"}


def mesh(heading_list):
    """``pubmed_fields.mesh``; None when the subtree needs the Python version."""
    if heading_list is None:
        return []
    cdef xmlNode* heading
    cdef xmlNode* child
    out = []
    try:
        heading = _first(heading_list)
        while heading is not NULL:
            if _is(heading, b"MeshHeading"):
                descriptor = None
                qualifiers = []
                child = _element(heading.children)
                while child is not NULL:
                    entry = _mesh_entry(child)
                    if _is(child, b"QualifierName"):
                        qualifiers.append(entry)
                    elif _is(child, b"DescriptorName"):
                        descriptor = entry
                    child = _element(child.next)
                if descriptor is not None:
                    descriptor["qualifiers"] = qualifiers
                    out.append(descriptor)
            heading = _element(heading.next)
    except Unsupported:
        return None
    return out


def abstract(container):
    """``pubmed_fields.abstract``; None when the subtree needs the Python version."""
    if container is None:
        return "", []
    cdef xmlNode* part
    paragraphs = []
    sections = []
    try:
        part = _first(container)
        while part is not NULL:
            if _is(part, b"AbstractText"):
                body = _text(part)
                label = (_attr(part, b"Label") or "").strip() or None
                category = (_attr(part, b"NlmCategory") or "").strip() or None
                if body or label:
                    sections.append({"label": label, "category": category, "text": body})
                    paragraphs.append(f"{label}: {body}" if label else body)
            part = _element(part.next)
    except Unsupported:
        return None
    return "\n".join(paragraphs), sections


def chemicals(chemical_list):
    """``pubmed_fields.chemicals``; None when the subtree needs the Python version."""
    if chemical_list is None:
        return []
    cdef xmlNode* chem
    cdef xmlNode* child
    cdef xmlNode* name
    cdef xmlNode* registry_el
    out = []
    try:
        chem = _first(chemical_list)
        while chem is not NULL:
            if _is(chem, b"Chemical"):
                name = registry_el = NULL
                child = _element(chem.children)
                while child is not NULL:
                    if _is(child, b"NameOfSubstance") and name is NULL:
                        name = child
                    elif _is(child, b"RegistryNumber") and registry_el is NULL:
                        registry_el = child
                    child = _element(child.next)
                registry = _text(registry_el) if registry_el is not NULL else ""
                out.append(
                    {
                        "ui": _attr(name, b"UI") if name is not NULL else None,
                        "name": _text(name) if name is not NULL else "",
                        "registry": registry if registry and registry != "0" else None,
                    }
                )
            chem = _element(chem.next)
    except Unsupported:
        return None
    return out


def keywords(keyword_lists):
    """``pubmed_fields.keywords``; None when a subtree needs the Python version."""
    cdef xmlNode* kw
    out = []
    seen = set()
    try:
        for kw_list in keyword_lists:
            kw = _first(kw_list)
            while kw is not NULL:
                if _is(kw, b"Keyword") and (value := _text(kw)):
                    folded = value.casefold()
                    if folded not in seen:
                        seen.add(folded)
                        out.append(value)
                kw = _element(kw.next)
    except Unsupported:
        return None
    return out
