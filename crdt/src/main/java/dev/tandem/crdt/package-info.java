/** The Tandem sequence CRDT for text. */
package dev.tandem.crdt;
