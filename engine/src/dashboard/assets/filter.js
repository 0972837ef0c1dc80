(function(){
"use strict";
var idx=window.SHIPGATE_INDEX, form=document.getElementById("filter"), body=document.getElementById("rows");
if(!idx||!form||!body){return;}
form.hidden=false;
var dl=document.getElementById("rule-ids");
idx.rules.forEach(function(r){var o=document.createElement("option");o.value=r;dl.appendChild(o);});
var original=body.innerHTML, LIMIT=2000, labels={pass:"pass",fail:"fail",unverified:"FAILED VERIFICATION"}, sigs={verified:"pass",unsigned:"warn",unchecked:"warn",invalid:"unverified"};
var sigLabels={verified:"verified",unsigned:"unsigned",unchecked:"not checked",invalid:"invalid"};
function cell(tr,text){var td=document.createElement("td");if(text!==undefined){td.textContent=text;}tr.appendChild(td);return td;}
function badge(td,cls,text){var s=document.createElement("span");s.className="b b-"+cls;s.textContent=text;td.appendChild(s);}
function values(){var v={};["verdict","rule","release","from","to"].forEach(function(k){v[k]=(form.elements[k].value||"").trim();});return v;}
function active(v){return v.verdict||v.rule||v.release||v.from||v.to;}
function apply(){
 var v=values(), out=document.getElementById("matches"), pagers=document.querySelectorAll(".pager,.range");
 location.replace("#"+["verdict","rule","release","from","to"].filter(function(k){return v[k];}).map(function(k){return k+"="+encodeURIComponent(v[k]);}).join("&"));
 if(!active(v)){body.innerHTML=original;out.textContent="";pagers.forEach(function(p){p.hidden=false;});return;}
 pagers.forEach(function(p){p.hidden=true;});
 var rule=v.rule?idx.rules.indexOf(v.rule):-2, n=0, frag=document.createDocumentFragment();
 idx.records.forEach(function(r){
  var day=r[1].slice(0,10);
  if(v.verdict&&r[3]!==v.verdict){return;}
  if(v.rule&&(rule<0||r[5].indexOf(rule)<0)){return;}
  if(v.release&&r[2].indexOf(v.release)!==0){return;}
  if(v.from&&day<v.from){return;}
  if(v.to&&day>v.to){return;}
  n++; if(n>LIMIT){return;}
  var tr=document.createElement("tr");tr.className="o-"+r[3];
  var a=document.createElement("a");a.href=r[0]+".html";a.textContent="#"+r[0];cell(tr).appendChild(a);
  cell(tr,r[1]);cell(tr,r[2]);badge(cell(tr),r[3],labels[r[3]]);badge(cell(tr),sigs[r[4]],sigLabels[r[4]]);
  cell(tr,r[5].map(function(i){return idx.rules[i];}).join(", "));
  frag.appendChild(tr);
 });
 body.textContent="";body.appendChild(frag);
 out.textContent=n+" matching record(s)"+(n>LIMIT?", the newest "+LIMIT+" shown":"");
}
var params=new URLSearchParams(location.hash.slice(1));
params.forEach(function(val,key){if(form.elements[key]){form.elements[key].value=val;}});
form.addEventListener("input",apply);form.addEventListener("change",apply);
form.addEventListener("reset",function(){setTimeout(apply,0);});
form.addEventListener("submit",function(e){e.preventDefault();apply();});
if(location.hash.length>1){apply();}
})();
