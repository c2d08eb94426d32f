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


def authors(author_list):
    """``pubmed_fields.authors``; None when the subtree needs the Python version."""
    if author_list is None:
        return []
    cdef xmlNode* au = _node(author_list).children
    cdef xmlNode* child
    cdef xmlNode* aff
    out = []
    try:
        while au is not NULL:
            if au.type != XML_ELEMENT_NODE:
                if au.type != XML_TEXT_NODE:
                    return None
                au = au.next
                continue
            if not _is(au, b"Author") or _attr(au, b"ValidYN") == "N":
                au = au.next
                continue
            last = fore = initials = collective = orcid = None
            affiliations = []
            child = au.children
            while child is not NULL:
                if child.type == XML_ELEMENT_NODE and child.ns is NULL:
                    if _is(child, b"LastName"):
                        last = _text(child) or None
                    elif _is(child, b"ForeName"):
                        fore = _text(child) or None
                    elif _is(child, b"Initials"):
                        initials = _text(child) or None
                    elif _is(child, b"AffiliationInfo"):
                        aff = child.children
                        while aff is not NULL:
                            if _is(aff, b"Affiliation"):
                                value = _text(aff)
                                if value:
                                    affiliations.append(value)
                            elif aff.type != XML_ELEMENT_NODE and aff.type != XML_TEXT_NODE:
                                return None
                            aff = aff.next
                    elif _is(child, b"CollectiveName"):
                        collective = _text(child) or None
                    elif _is(child, b"Affiliation"):
                        value = _text(child)
                        if value:
                            affiliations.append(value)
                    elif _is(child, b"Identifier") and orcid is None and (_attr(child, b"Source") or "").upper() == "ORCID":
                        orcid = _text(child) or None
                elif child.type != XML_TEXT_NODE and child.type != XML_ELEMENT_NODE:
                    return None
                child = child.next
            out.append(
                {
                    "last": last,
                    "fore": fore,
                    "initials": initials,
                    "collective": collective,
                    "affiliations": affiliations,
                    "orcid": orcid,
                }
            )
            au = au.next
    except Unsupported:
        return None
    return out


def mesh(heading_list):
    """``pubmed_fields.mesh``; None when the subtree needs the Python version."""
    if heading_list is None:
        return []
    cdef xmlNode* heading = _node(heading_list).children
    cdef xmlNode* child
    out = []
    try:
        while heading is not NULL:
            if not _is(heading, b"MeshHeading"):
                if heading.type != XML_ELEMENT_NODE and heading.type != XML_TEXT_NODE:
                    return None
                heading = heading.next
                continue
            descriptor = None
            qualifiers = []
            child = heading.children
            while child is not NULL:
                if child.type == XML_ELEMENT_NODE:
                    entry = {"ui": _attr(child, b"UI"), "name": _text(child), "major": _attr(child, b"MajorTopicYN") == "Y"}
                    if _is(child, b"QualifierName"):
                        qualifiers.append(entry)
                    elif _is(child, b"DescriptorName"):
                        descriptor = entry
                elif child.type != XML_TEXT_NODE:
                    return None
                child = child.next
            if descriptor is not None:
                descriptor["qualifiers"] = qualifiers
                out.append(descriptor)
            heading = heading.next
    except Unsupported:
        return None
    return out


def abstract(container):
    """``pubmed_fields.abstract``; None when the subtree needs the Python version."""
    if container is None:
        return "", []
    cdef xmlNode* part = _node(container).children
    paragraphs = []
    sections = []
    try:
        while part is not NULL:
            if not _is(part, b"AbstractText"):
                if part.type != XML_ELEMENT_NODE and part.type != XML_TEXT_NODE:
                    return None
                part = part.next
                continue
            body = _text(part)
            label = (_attr(part, b"Label") or "").strip() or None
            category = (_attr(part, b"NlmCategory") or "").strip() or None
            if body or label:
                sections.append({"label": label, "category": category, "text": body})
                paragraphs.append(f"{label}: {body}" if label else body)
            part = part.next
    except Unsupported:
        return None
    return "\n".join(paragraphs), sections


def text_of(el):
    """``pubmed_fields.text_of``; None when the subtree needs the Python version."""
    if el is None:
        return ""
    try:
        return _text(_node(el))
    except Unsupported:
        return None


def chemicals(chemical_list):
    """``pubmed_fields.chemicals``; None when the subtree needs the Python version."""
    if chemical_list is None:
        return []
    cdef xmlNode* chem = _node(chemical_list).children
    cdef xmlNode* child
    cdef xmlNode* name
    cdef xmlNode* registry_el
    out = []
    try:
        while chem is not NULL:
            if not _is(chem, b"Chemical"):
                if chem.type != XML_ELEMENT_NODE and chem.type != XML_TEXT_NODE:
                    return None
                chem = chem.next
                continue
            name = registry_el = NULL
            child = chem.children
            while child is not NULL:
                if _is(child, b"NameOfSubstance") and name is NULL:
                    name = child
                elif _is(child, b"RegistryNumber") and registry_el is NULL:
                    registry_el = child
                elif child.type != XML_ELEMENT_NODE and child.type != XML_TEXT_NODE:
                    return None
                child = child.next
            registry = _text(registry_el) if registry_el is not NULL else ""
            out.append(
                {
                    "ui": _attr(name, b"UI") if name is not NULL else None,
                    "name": _text(name) if name is not NULL else "",
                    "registry": registry if registry and registry != "0" else None,
                }
            )
            chem = chem.next
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
            kw = _node(kw_list).children
            while kw is not NULL:
                if _is(kw, b"Keyword"):
                    value = _text(kw)
                    if value:
                        folded = value.casefold()
                        if folded not in seen:
                            seen.add(folded)
                            out.append(value)
                elif kw.type != XML_ELEMENT_NODE and kw.type != XML_TEXT_NODE:
                    return None
                kw = kw.next
    except Unsupported:
        return None
    return out
