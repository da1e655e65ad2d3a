/*
 * aws_xml: the little of XML that AWS answers need read here: the text
 * of a named element (an error document's <Code>, a DescribeTags item's
 * <key> and <value>), with the five predefined entities decoded. No
 * attributes, namespaces, CDATA or character references: AWS writes none
 * in these elements, and anything not understood is refused, never
 * guessed.
 *
 * Pure functions; the text is read in place, never copied but by
 * aws_xml_text().
 */
#ifndef AWS_XML_H
#define AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

/* A piece of a body, not NUL-terminated. */
struct aws_xml_span {
    const char *p;
    size_t len;
};

/*
 * aws_xml_element - the first <@tag>...</@tag>, or <@tag/>, in @in.
 * @tag: an element name, under 28 bytes, no attributes matched.
 * @ret: what lies between the tags (empty for <@tag/>); it may hold
 *       markup (an element holding others).
 * @ret_after: when not NULL, the rest of @in after the element.
 * Returns true when found; false otherwise (also for an unclosed one).
 */
bool
aws_xml_element(struct aws_xml_span in, const char *tag,
                struct aws_xml_span *ret, struct aws_xml_span *ret_after);

/*
 * aws_xml_text - the character data @s into @ret (NUL-terminated), the
 * entities &amp; &lt; &gt; &quot; &apos; decoded. The result is never
 * longer than @s.
 * Returns 0, -EPROTO (markup, a NUL byte or another '&' in @s: not a
 * leaf's text) or -ERANGE (it does not fit @size).
 */
int
aws_xml_text(struct aws_xml_span s, char *ret, size_t size);

#endif
