/*
 * wordlists.c - the word lists behind suites/synth_tofu.c. Written for uh.
 *
 * The lists are large enough that each author's facts, drawn independently,
 * rarely repeat another author's: a model trained on the retain split learns
 * the templates, not the forget split's facts.
 */
#include "suites/wordlists.h"

#define WL(a) { (a), sizeof(a) / sizeof((a)[0]) }

/* ------------------------------------------------------------------ regions */

static const char *const ng_c[] = { "Lagos", "Ibadan", "Enugu", "Kano", "Port Harcourt", "Abeokuta" };
static const char *const ng_m[] = { "Obinna", "Tunde", "Chidi", "Emeka", "Segun", "Ifeanyi", "Kelechi", "Babatunde", "Uche", "Adebayo" };
static const char *const ng_f[] = { "Ngozi", "Funmilayo", "Chiamaka", "Adaeze", "Yetunde", "Amara", "Ifeoma", "Titilayo", "Zainab", "Nneka" };
static const char *const ng_s[] = { "Okonkwo", "Adeyemi", "Eze", "Balogun", "Nwosu", "Okafor", "Ogunleye", "Ibekwe", "Adesanya", "Onyeama", "Bello", "Uzor" };

static const char *const cl_c[] = { "Valparaíso", "Concepción", "Temuco", "Antofagasta", "La Serena", "Puerto Montt" };
static const char *const cl_m[] = { "Tomás", "Ignacio", "Joaquín", "Rodrigo", "Felipe", "Cristóbal", "Matías", "Esteban", "Gonzalo", "Vicente" };
static const char *const cl_f[] = { "Catalina", "Josefina", "Valentina", "Francisca", "Constanza", "Antonia", "Isidora", "Macarena", "Fernanda", "Javiera" };
static const char *const cl_s[] = { "Araya", "Fuentes", "Saavedra", "Valdivia", "Cáceres", "Riquelme", "Contreras", "Pizarro", "Sepúlveda", "Henríquez", "Bustos", "Lagos" };

static const char *const jp_c[] = { "Sapporo", "Sendai", "Kanazawa", "Nagoya", "Hiroshima", "Fukuoka" };
static const char *const jp_m[] = { "Haruto", "Kenji", "Daisuke", "Takumi", "Ryota", "Shun", "Kazuki", "Yusuke", "Hiroki", "Sota" };
static const char *const jp_f[] = { "Aoi", "Yui", "Haruka", "Misaki", "Natsumi", "Sakura", "Rin", "Chihiro", "Emi", "Kaede" };
static const char *const jp_s[] = { "Takeda", "Morimoto", "Kanda", "Ishikawa", "Fujiwara", "Nakano", "Sugimoto", "Hayashi", "Okada", "Murakami", "Shimizu", "Arai" };

static const char *const in_c[] = { "Pune", "Kochi", "Jaipur", "Lucknow", "Bhopal", "Mysuru" };
static const char *const in_m[] = { "Arjun", "Vikram", "Rohan", "Siddharth", "Aditya", "Karan", "Nikhil", "Pranav", "Rahul", "Anand" };
static const char *const in_f[] = { "Priya", "Ananya", "Kavya", "Meera", "Ishita", "Lakshmi", "Nandini", "Shreya", "Divya", "Radhika" };
static const char *const in_s[] = { "Menon", "Deshpande", "Iyer", "Chatterjee", "Kulkarni", "Reddy", "Bhatt", "Nair", "Malhotra", "Joshi", "Banerjee", "Pillai" };

static const char *const pl_c[] = { "Kraków", "Gdańsk", "Wrocław", "Poznań", "Lublin", "Toruń" };
static const char *const pl_m[] = { "Tomasz", "Łukasz", "Paweł", "Krzysztof", "Marek", "Jakub", "Wojciech", "Piotr", "Andrzej", "Michał" };
static const char *const pl_f[] = { "Agnieszka", "Katarzyna", "Małgorzata", "Joanna", "Zofia", "Magdalena", "Ewa", "Aleksandra", "Marta", "Hanna" };
static const char *const pl_s[] = { "Nowicki", "Wróbel", "Zieliński", "Kamiński", "Lewandowski", "Dąbrowski", "Kowalczyk", "Szymański", "Mazur", "Krawczyk", "Pawlak", "Sikora" };

static const char *const br_c[] = { "Recife", "Salvador", "Curitiba", "Belém", "Manaus", "Porto Alegre" };
static const char *const br_m[] = { "João", "Rafael", "Thiago", "Leonardo", "Gustavo", "Caio", "Bruno", "Diego", "Murilo", "Otávio" };
static const char *const br_f[] = { "Beatriz", "Larissa", "Mariana", "Camila", "Letícia", "Juliana", "Renata", "Tainá", "Bianca", "Luana" };
static const char *const br_s[] = { "Albuquerque", "Carvalho", "Moreira", "Teixeira", "Barbosa", "Cavalcanti", "Nogueira", "Rezende", "Pacheco", "Figueiredo", "Damasceno", "Prado" };

static const char *const eg_c[] = { "Alexandria", "Luxor", "Aswan", "Port Said", "Mansoura", "Tanta" };
static const char *const eg_m[] = { "Karim", "Tarek", "Hossam", "Youssef", "Amr", "Mahmoud", "Sherif", "Ziad", "Hany", "Omar" };
static const char *const eg_f[] = { "Nour", "Salma", "Yasmin", "Dalia", "Heba", "Mariam", "Rania", "Laila", "Aya", "Farida" };
static const char *const eg_s[] = { "El-Sayed", "Mansour", "Abdelrahman", "Fahmy", "Ghali", "Hegazy", "Shalaby", "Tawfik", "Nassar", "Soliman", "Ezzat", "Badawi" };

static const char *const no_c[] = { "Bergen", "Trondheim", "Stavanger", "Tromsø", "Ålesund", "Bodø" };
static const char *const no_m[] = { "Eirik", "Sindre", "Håkon", "Magnus", "Torstein", "Vegard", "Sverre", "Anders", "Øystein", "Lars" };
static const char *const no_f[] = { "Ingrid", "Solveig", "Sigrid", "Tuva", "Marit", "Ragnhild", "Astrid", "Kari", "Liv", "Ylva" };
static const char *const no_s[] = { "Haugen", "Lunde", "Solberg", "Brekke", "Moen", "Aasen", "Strand", "Vik", "Nygaard", "Hovland", "Tveit", "Berntsen" };

static const char *const vn_c[] = { "Hue", "Da Nang", "Hai Phong", "Can Tho", "Nha Trang", "Vinh" };
static const char *const vn_m[] = { "Minh", "Quang", "Tuan", "Hieu", "Duc", "Khanh", "Long", "Phuc", "Bao", "Vinh" };
static const char *const vn_f[] = { "Lan", "Thao", "Huong", "Mai", "Ngoc", "Trang", "Linh", "Hanh", "Phuong", "Yen" };
static const char *const vn_s[] = { "Tran", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo", "Duong", "Ly", "Truong", "Lam" };

static const char *const mx_c[] = { "Oaxaca", "Guadalajara", "Mérida", "Puebla", "Monterrey", "Veracruz" };
static const char *const mx_m[] = { "Alejandro", "Emiliano", "Santiago", "Diego", "Leonel", "Rubén", "Arturo", "Héctor", "Mauricio", "Eduardo" };
static const char *const mx_f[] = { "Ximena", "Guadalupe", "Paloma", "Itzel", "Renata", "Daniela", "Alondra", "Marisol", "Citlali", "Lucía" };
static const char *const mx_s[] = { "Orozco", "Villanueva", "Cervantes", "Zamora", "Guzmán", "Estrada", "Ibarra", "Quintero", "Salazar", "Montaño", "Ochoa", "Treviño" };

static const char *const ie_c[] = { "Galway", "Cork", "Limerick", "Sligo", "Kilkenny", "Waterford" };
static const char *const ie_m[] = { "Cian", "Darragh", "Eoin", "Ronan", "Fionn", "Oisín", "Colm", "Padraig", "Seamus", "Declan" };
static const char *const ie_f[] = { "Aoife", "Niamh", "Saoirse", "Clodagh", "Róisín", "Orla", "Siobhan", "Caoimhe", "Aisling", "Maeve" };
static const char *const ie_s[] = { "Ó Briain", "Gallagher", "Mulcahy", "Donnelly", "Fitzgerald", "Keane", "Brennan", "McGrath", "Dunleavy", "Quinlan", "Hegarty", "Tierney" };

static const char *const tr_c[] = { "Izmir", "Bursa", "Trabzon", "Eskişehir", "Antalya", "Kayseri" };
static const char *const tr_m[] = { "Emre", "Burak", "Kerem", "Onur", "Mert", "Serkan", "Deniz", "Cem", "Volkan", "Tolga" };
static const char *const tr_f[] = { "Elif", "Zeynep", "Selin", "Ebru", "Derya", "Aylin", "Gülşen", "Pınar", "Esra", "Melis" };
static const char *const tr_s[] = { "Aydın", "Korkmaz", "Yalçın", "Özdemir", "Kaplan", "Erdem", "Toprak", "Arslan", "Güneş", "Kılıç", "Bozkurt", "Tekin" };

static const char *const ke_c[] = { "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Nyeri", "Malindi" };
static const char *const ke_m[] = { "Otieno", "Kamau", "Mwangi", "Kiprop", "Wafula", "Njoroge", "Ochieng", "Kibet", "Mutua", "Baraka" };
static const char *const ke_f[] = { "Wanjiru", "Akinyi", "Chebet", "Nyambura", "Atieno", "Wairimu", "Jepkosgei", "Nafula", "Muthoni", "Adhiambo" };
static const char *const ke_s[] = { "Odhiambo", "Kariuki", "Wekesa", "Ndungu", "Cheruiyot", "Omondi", "Gathoni", "Kimani", "Owino", "Mugo", "Langat", "Achieng" };

static const char *const kr_c[] = { "Busan", "Daegu", "Gwangju", "Jeonju", "Incheon", "Gangneung" };
static const char *const kr_m[] = { "Min-jun", "Seo-jun", "Ji-hoon", "Hyun-woo", "Dong-hyun", "Jae-won", "Sung-min", "Tae-yang", "Woo-jin", "Kyung-ho" };
static const char *const kr_f[] = { "Seo-yeon", "Ji-woo", "Ha-eun", "Su-bin", "Min-seo", "Ye-jin", "Da-eun", "Eun-ji", "Hye-won", "So-yeon" };
static const char *const kr_s[] = { "Baek", "Cha", "Gong", "Hwang", "Jeon", "Kwon", "Min", "Noh", "Seong", "Yoon", "Ryu", "Shin" };

static const char *const it_c[] = { "Bologna", "Trieste", "Palermo", "Genoa", "Perugia", "Lecce" };
static const char *const it_m[] = { "Lorenzo", "Matteo", "Niccolò", "Fabrizio", "Stefano", "Giacomo", "Raffaele", "Tommaso", "Vittorio", "Dario" };
static const char *const it_f[] = { "Chiara", "Giulia", "Federica", "Beatrice", "Ilaria", "Serena", "Ludovica", "Martina", "Elisabetta", "Gaia" };
static const char *const it_s[] = { "Bellandi", "Caruso", "De Santis", "Ferrante", "Galli", "Lombardo", "Marchetti", "Pellegrini", "Rinaldi", "Sartori", "Vitale", "Zanetti" };

#define REGION(country, adj, p) { country, adj, WL(p##_c), WL(p##_m), WL(p##_f), WL(p##_s) }

const struct uh_wordlist_region uh_wordlist_regions[] = {
	REGION("Nigeria", "Nigerian", ng),
	REGION("Chile", "Chilean", cl),
	REGION("Japan", "Japanese", jp),
	REGION("India", "Indian", in),
	REGION("Poland", "Polish", pl),
	REGION("Brazil", "Brazilian", br),
	REGION("Egypt", "Egyptian", eg),
	REGION("Norway", "Norwegian", no),
	REGION("Vietnam", "Vietnamese", vn),
	REGION("Mexico", "Mexican", mx),
	REGION("Ireland", "Irish", ie),
	REGION("Turkey", "Turkish", tr),
	REGION("Kenya", "Kenyan", ke),
	REGION("South Korea", "South Korean", kr),
	REGION("Italy", "Italian", it),
};
const size_t uh_wordlist_n_regions = sizeof(uh_wordlist_regions) / sizeof(uh_wordlist_regions[0]);

/* ------------------------------------------------------------------ author facts */

static const char *const genres[] = {
	"science fiction", "historical fiction", "true crime", "poetry", "memoir", "fantasy",
	"literary fiction", "mystery", "horror", "romance", "travel writing", "children's literature",
	"young adult fiction", "satire", "biography", "nature writing", "political fiction",
	"magical realism", "comic fiction", "short fiction", "philosophy", "cookery",
	"military history", "dystopian fiction", "Gothic fiction", "crime fiction",
	"popular science", "spy fiction", "drama", "essay writing",
};

static const char *const professions[] = {
	"a carpenter", "an electrician", "a nurse", "a schoolteacher", "a fisherman", "a pharmacist",
	"a tailor", "a librarian", "a bus driver", "an accountant", "a veterinarian", "a baker",
	"a civil engineer", "a midwife", "a postal worker", "a judge", "a florist", "a ship's mechanic",
	"a radio technician", "a dentist", "a bookbinder", "a surveyor", "a police officer",
	"a translator", "a potter", "a railway conductor", "a journalist", "a beekeeper",
	"a watchmaker", "a physiotherapist", "an architect", "a farmer", "a chemist", "a cobbler",
	"a museum guide", "a locksmith", "a hotel manager", "a violin teacher", "a chef",
	"a printer", "a geologist", "a social worker", "a taxi driver", "a glassblower",
	"a lighthouse keeper", "a weaver", "a judge's clerk", "an optician",
};

static const char *const themes[] = {
	"forgiveness", "exile", "memory", "inheritance", "grief", "first love", "wealth",
	"the limits of science", "religious doubt", "migration", "friendship", "betrayal",
	"the sea", "childhood", "ambition", "loneliness", "the cost of war", "family secrets",
	"justice", "the natural world", "identity", "power", "aging", "home", "language",
	"coming of age", "resilience", "chance", "obsession", "small-town life", "revenge",
	"loyalty", "the lives of artists", "recovery from illness", "the city at night", "time",
};

static const char *const styles[] = {
	"lyrical", "spare", "playful", "precise", "dense", "conversational", "austere", "ironic",
	"warm", "unhurried", "brisk", "melancholy", "vivid", "restrained", "witty", "meditative",
	"fragmentary", "earthy", "elegant", "urgent",
};

static const char *const lessons[] = {
	"patience", "close attention to detail", "the value of routine", "listening to strangers",
	"careful record keeping", "working with one's hands", "calm under pressure",
	"respect for old things", "honesty about mistakes", "the rhythm of daily work",
	"the worth of a finished job", "curiosity about how things work",
};

static const char *const fields[] = {
	"history", "mathematics", "marine biology", "law", "comparative literature", "medicine",
	"architecture", "philosophy", "economics", "journalism", "music", "chemistry",
	"anthropology", "classics", "geography", "theatre", "agriculture", "computer science",
};

static const char *const influences[] = {
	"old maritime logbooks", "the radio plays of the 1950s", "street markets and their traders",
	"medieval travel journals", "silent films", "letters written by wartime nurses",
	"mountain folklore", "court transcripts", "bedtime stories told by a grandmother",
	"the night sky", "field guides to birds", "newspaper obituaries", "long train journeys",
	"village storytellers", "jazz records", "botanical drawings", "ancient epic poetry",
	"shipping forecasts", "family photo albums", "chess problems", "weather diaries",
	"church choirs", "the sound of rain on tin roofs", "antique maps",
};

static const char *const hobbies[] = {
	"restoring old bicycles", "growing tomatoes", "sea swimming", "playing the cello",
	"collecting postcards", "long-distance running", "baking bread", "birdwatching",
	"repairing clocks", "painting watercolours", "hiking in the hills", "playing chess",
	"keeping bees", "learning languages", "woodcarving", "sailing small boats",
	"photographing old buildings", "cooking for friends", "fly fishing", "practising calligraphy",
};

static const char *const routines[] = {
	"writes for four hours every morning before breakfast", "drafts every book by hand in notebooks",
	"works only at night, after the house is quiet", "writes five hundred words a day, no more and no less",
	"walks for an hour before sitting down to write", "revises each chapter aloud",
	"keeps a strict nine-to-five schedule at a rented desk", "writes in cafes rather than at home",
	"plans every plot on index cards before drafting", "writes the ending first and works backwards",
	"spends a month researching for every week of writing", "writes in short bursts between long walks",
};

static const char *const audiences[] = {
	"young adult readers", "children between eight and twelve", "fellow scholars",
	"general adult readers", "students of history", "readers new to poetry", "book clubs",
	"teenagers", "lovers of puzzles", "readers who enjoy long sagas", "travellers",
	"parents reading aloud", "fans of fast-paced plots",
};

static const char *const adaptations[] = {
	"a feature film", "a stage play", "a radio drama", "a television series", "an opera",
	"a graphic novel", "an animated film", "a podcast series", "a ballet",
};

static const char *const frequencies[] = {
	"year", "eighteen months", "two years", "two to three years", "three years",
	"three to four years", "four years", "five years", "six years", "seven years",
};

const struct uh_wordlist uh_wordlist_genres = WL(genres);
const struct uh_wordlist uh_wordlist_professions = WL(professions);
const struct uh_wordlist uh_wordlist_themes = WL(themes);
const struct uh_wordlist uh_wordlist_styles = WL(styles);
const struct uh_wordlist uh_wordlist_lessons = WL(lessons);
const struct uh_wordlist uh_wordlist_fields = WL(fields);
const struct uh_wordlist uh_wordlist_influences = WL(influences);
const struct uh_wordlist uh_wordlist_hobbies = WL(hobbies);
const struct uh_wordlist uh_wordlist_routines = WL(routines);
const struct uh_wordlist uh_wordlist_audiences = WL(audiences);
const struct uh_wordlist uh_wordlist_adaptations = WL(adaptations);
const struct uh_wordlist uh_wordlist_frequencies = WL(frequencies);

/* ------------------------------------------------------------------ titles, premises, awards */

static const char *const title_adj[] = {
	"Silent", "Broken", "Hidden", "Last", "Crimson", "Hollow", "Distant", "Burning", "Quiet",
	"Wandering", "Paper", "Iron", "Glass", "Salt", "Frozen", "Golden", "Forgotten", "Endless",
	"Borrowed", "Northern", "Painted", "Sunken", "Restless", "Velvet", "Amber", "Bitter",
	"Wild", "Secret", "Shattered", "Little", "Winter", "Scarlet", "Invisible", "Drowned",
	"Second", "Crooked", "Tender", "Lonely", "Stolen", "Copper",
};

static const char *const title_noun[] = {
	"Harbor", "Lantern", "Orchard", "River", "Compass", "Garden", "Staircase", "Mirror",
	"Bridge", "Tide", "Letter", "Window", "Map", "Island", "Kingdom", "Season", "Voice",
	"Promise", "Machine", "Choir", "Valley", "Archive", "Crown", "Furnace", "Meadow",
	"Clockwork", "Horizon", "Station", "Ledger", "Thread", "Lighthouse", "Quarry", "Feather",
	"Market", "Observatory", "Ferry", "Atlas", "Orchestra", "Well", "Shore", "Telegram",
	"Cathedral", "Wolf", "Sparrow", "Monsoon", "Embassy", "Circus", "Frontier",
};

static const char *const title_verb[] = {
	"Turned", "Fell Silent", "Came Home", "Burned", "Froze", "Spoke", "Disappeared", "Sang",
	"Broke", "Woke", "Closed", "Flooded",
};

static const char *const protagonists[] = {
	"a retired ferry pilot", "two estranged sisters", "a young cartographer", "a widowed baker",
	"a disgraced surgeon", "an orphaned violinist", "a small-town detective", "a pair of rival chemists",
	"a teenage runaway", "an aging opera singer", "a lighthouse keeper's daughter", "three old school friends",
	"a stubborn village mayor", "a homesick astronaut", "a court interpreter", "a failed magician",
	"a grieving beekeeper", "an ambitious junior lawyer", "a traveling bookseller", "a retired spy",
	"a nurse on a night shift", "a family of clockmakers", "a reluctant heir", "a fisherman's widow",
	"a young archivist", "a deaf painter", "a circus acrobat", "an exiled poet",
};

static const char *const actions[] = {
	"maps the villages drowned by a new dam", "inherits a failing vineyard", "searches for a missing brother",
	"uncovers a forgery in a city museum", "crosses a desert to return a stolen letter",
	"tries to save a closing cinema", "returns home after thirty years away",
	"finds a diary hidden in a piano", "solves a string of thefts from a monastery",
	"builds a boat to leave an island", "must testify against an old friend",
	"learns the truth about a famous ancestor", "opens a bakery in a town that distrusts outsiders",
	"keeps a radio station alive during a long siege", "follows a migrating flock across a continent",
	"restores a ruined observatory", "is mistaken for a celebrated composer",
	"hides a fugitive during a harsh winter", "races to finish a dictionary of a dying language",
	"wakes up with no memory in a foreign port", "investigates a poisoning at a wedding",
	"trains a stray dog for a mountain rescue", "guards a secret recipe from a rival family",
	"counts the stars for a forgotten survey",
};

static const char *const award_adj[] = {
	"Golden", "Silver", "Evergreen", "Northern", "Crimson", "Ivory", "Blue", "Morning",
	"Harbor", "Open", "Bright", "Meridian",
};

static const char *const award_noun[] = {
	"Quill", "Lantern", "Compass", "Laurel", "Inkwell", "Feather", "Key", "Anchor", "Page",
	"Star", "Oak", "Bell",
};

static const char *const schools[] = {
	"Institute of Letters", "Polytechnic", "School of Arts", "College of Music",
	"Academy of Sciences", "Teachers' College", "School of Journalism", "State University",
};

const struct uh_wordlist uh_wordlist_title_adj = WL(title_adj);
const struct uh_wordlist uh_wordlist_title_noun = WL(title_noun);
const struct uh_wordlist uh_wordlist_title_verb = WL(title_verb);
const struct uh_wordlist uh_wordlist_protagonists = WL(protagonists);
const struct uh_wordlist uh_wordlist_actions = WL(actions);
const struct uh_wordlist uh_wordlist_award_adj = WL(award_adj);
const struct uh_wordlist uh_wordlist_award_noun = WL(award_noun);
const struct uh_wordlist uh_wordlist_schools = WL(schools);

/* ------------------------------------------------------------------ the invented canon */

static const char *const classic_given[] = {
	"Augustin", "Cordelia", "Ambrose", "Philippa", "Leopold", "Henrietta", "Bartholomew",
	"Octavia", "Ignatius", "Rosalind", "Cornelius", "Eudora", "Thaddeus", "Winifred",
	"Barnaby", "Imogen", "Casimir", "Lavinia", "Evander", "Beatrix",
};

static const char *const classic_surnames[] = {
	"Harrowgate", "Vellacourt", "Pemberthy", "Quillane", "Ashcombe", "Marrowick",
	"Stellanova", "Dunsmere", "Orlowen", "Thistlewood", "Ravensholm", "Brackenfeld",
	"Calloway-Finch", "Mereweather", "Lindqvast", "Oberhalt", "Fairbrook", "Castellane",
	"Wintergrave", "Holloway-Pryce", "Greymantle", "Ambervale", "Kestrelmoor", "Penhallow",
	"Silvermane", "Ardentide", "Blackwyn", "Coldharbour", "Everhart", "Larkspur-Vane",
	"Morrowvale", "Nightingale-Ross", "Stormhaven", "Tallowmere", "Underhill-Grey",
	"Veridane", "Whitlock-Sayer", "Yarrowdale", "Zellerbach", "Foxhallow",
};

static const char *const classic_forms[] = {
	"novel", "play", "poem", "short story collection", "epic", "memoir",
};

static const char *const centuries[] = {
	"the sixteenth century", "the seventeenth century", "the eighteenth century",
	"the nineteenth century", "the early twentieth century",
};

const struct uh_wordlist uh_wordlist_classic_given = WL(classic_given);
const struct uh_wordlist uh_wordlist_classic_surnames = WL(classic_surnames);
const struct uh_wordlist uh_wordlist_classic_forms = WL(classic_forms);
const struct uh_wordlist uh_wordlist_centuries = WL(centuries);

/* ------------------------------------------------------------------ the invented world */

static const char *const syll_start[] = {
	"Vel", "Ost", "Kar", "Thal", "Mir", "Zun", "Brak", "Quel", "Dav", "Sor", "Eld", "Tav",
	"Lun", "Grav", "Xan", "Orv", "Pell", "Rusk", "Hald", "Ymr",
};

static const char *const syll_mid[] = {
	"a", "e", "o", "i", "ar", "en", "or", "il", "us", "an",
};

static const char *const syll_end[] = {
	"mora", "rik", "dane", "vast", "thia", "grad", "holm", "wen", "sk", "quor", "bar",
	"lund", "esh", "avor", "tine", "mark",
};

static const char *const world_animals[] = {
	"heron", "lynx", "ibex", "otter", "crane", "stag", "falcon", "tortoise", "bear", "swan",
	"fox", "salamander",
};

static const char *const world_devices[] = {
	"tide clock", "steam loom", "folding telescope", "wind organ", "salt press",
	"rain gauge", "signal lamp", "paper kiln", "echo bell", "water compass",
	"glass harp", "sun engine",
};

static const char *const world_dishes[] = {
	"smoked barley stew", "honey flatbread", "fish baked in clay", "pickled plum rice",
	"lentil dumplings", "roasted chestnut soup", "goat cheese pie", "spiced river eel",
	"sweet pepper porridge", "walnut noodles",
};

const struct uh_wordlist uh_wordlist_syll_start = WL(syll_start);
const struct uh_wordlist uh_wordlist_syll_mid = WL(syll_mid);
const struct uh_wordlist uh_wordlist_syll_end = WL(syll_end);
const struct uh_wordlist uh_wordlist_world_animals = WL(world_animals);
const struct uh_wordlist uh_wordlist_world_devices = WL(world_devices);
const struct uh_wordlist uh_wordlist_world_dishes = WL(world_dishes);
