/**
 * Reading text tables: {@link bertft.data.TableReader} streams CSV, TSV and JSON-lines rows with their line
 * numbers; {@link bertft.data.LabelledData} turns rows into {@link bertft.data.Example}s for each task kind and
 * checks them, saying file and line of every mistake; {@link bertft.data.ClassWeights} weighs rare classes.
 */
package bertft.data;
